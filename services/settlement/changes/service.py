"""What settlement does with a peer's change event. Called by the worker's feed consumer
(shared.outbox.FeedConsumer) in the transaction that moves its cursor; no commit here."""

from sqlalchemy.ext.asyncio import AsyncConnection

from services.settlement.changes.repository import ChangeRepository
from shared.contracts.changes import ChangeEvent


async def receive(connection: AsyncConnection, source: str, event: ChangeEvent) -> bool:
    """Record the event by person, once: a second delivery of it (a replayed page, a cursor set back)
    changes nothing and returns False. What a change means for the person's settlements (the
    corrections) follows from here, on its first delivery only."""
    return await ChangeRepository(connection).receive(source, event)
