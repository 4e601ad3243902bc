from datetime import UTC, datetime

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.settlement.changes.models import ChangeEventRow, ReceivedChangeRow
from shared.contracts.changes import ChangeEvent
from shared.db import insert_unless_exists
from shared.outbox import Change

_EVENTS, _RECEIVED = ChangeEventRow.__table__, ReceivedChangeRow.__table__


class ChangeRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def add(self, change: Change) -> None:
        """The change into the outbox, in the caller's transaction."""
        await self.connection.execute(insert(_EVENTS).values(**change.values()))

    async def receive(self, source: str, event: ChangeEvent) -> bool:
        """Record a peer's event; False when it was recorded before (a second delivery)."""
        received = await self.connection.execute(
            insert_unless_exists(self.connection, _RECEIVED, ["source", "event_id"]).values(
                source=source, event_id=event.id, received_at=datetime.now(UTC),
                **event.model_dump(exclude={"id"})))
        return received.rowcount == 1
