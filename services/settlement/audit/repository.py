"""The look-up audit: appended with the write each flow already makes (on PostgreSQL a settlement's
row is written by the claim statement itself, settlements.store); read as counts per hospital. The
state-change audit: appended in the transaction of the change it records (claims.service)."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.settlement.audit.models import PersonLookupRow, StateChangeRow
from services.settlement.settlements.models import SettlementRow
from shared.db import one_of

_LOOKUPS = PersonLookupRow.__table__
_SETTLEMENTS = SettlementRow.__table__
_STATE_CHANGES = StateChangeRow.__table__


class LookupAuditRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def record(
        self, *, at: datetime, actor: str, hospital_code: str, id_number: str, purpose: str, reference: str,
    ) -> None:
        await self.connection.execute(insert(_LOOKUPS).values(
            at=at, actor=actor, hospital_code=hospital_code, id_number=id_number, purpose=purpose,
            reference=reference,
        ))

    async def counts_by_hospital(self, start: datetime, end: datetime) -> dict[str, tuple[int, int]]:
        """hospital → (look-ups, settlements settled) in [start, end), for every hospital with either."""
        lookups = await self.connection.execute(
            select(_LOOKUPS.c.hospital_code, func.count()).where(_LOOKUPS.c.at >= start, _LOOKUPS.c.at < end)
            .group_by(_LOOKUPS.c.hospital_code)
        )
        settled = await self.connection.execute(
            select(_SETTLEMENTS.c.hospital_code, func.count()).where(
                _SETTLEMENTS.c.status != "in_progress", _SETTLEMENTS.c.settled_at >= start,
                _SETTLEMENTS.c.settled_at < end,
            ).group_by(_SETTLEMENTS.c.hospital_code)
        )
        counts: dict[str, tuple[int, int]] = {code: (count, 0) for code, count in lookups}
        for code, count in settled:
            counts[code] = (counts.get(code, (0, 0))[0], count)
        return counts


class StateChangeRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def record(
        self, *, at: datetime, actor: str, action: str, entity: str, entity_key: str,
        before: dict[str, Any] | None, after: dict[str, Any] | None,
    ) -> None:
        await self.connection.execute(insert(_STATE_CHANGES).values(
            at=at, actor=actor, action=action, entity=entity, entity_key=entity_key, before=before, after=after,
        ))

    async def of(self, entity: str, entity_key: str) -> list[Any]:
        return (await self.of_each(entity, [entity_key]))[entity_key]

    async def of_each(self, entity: str, entity_keys: Sequence[str]) -> dict[str, list[Any]]:
        """Each entity's state changes in order, in one statement (a page of entities)."""
        changes: dict[str, list[Any]] = {key: [] for key in entity_keys}
        for row in await self.connection.execute(
            select(_STATE_CHANGES).where(
                _STATE_CHANGES.c.entity == entity,
                one_of(self.connection.dialect.name, _STATE_CHANGES.c.entity_key, entity_keys),
            ).order_by(_STATE_CHANGES.c.id)
        ):
            changes[row.entity_key].append(row)
        return changes
