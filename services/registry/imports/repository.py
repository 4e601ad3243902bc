"""Bulk reads and writes for list imports, in SQLAlchemy Core: a list of 200,000 rows is read and
written in chunks, never row by row through the ORM."""

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.audit.models import AuditRow
from services.registry.identities.models import IdentityRow
from services.registry.imports.models import ImportBatchRow, ImportRowRow
from services.registry.imports.plan import HeldIdentity
from services.registry.persons.models import InsuranceEventRow, PersonRow

T = TypeVar("T")
CHUNK = 2000
PERSONS, IDENTITIES, EVENTS = PersonRow.__table__, IdentityRow.__table__, InsuranceEventRow.__table__
ROWS, AUDIT = ImportRowRow.__table__, AuditRow.__table__


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def region_prefix(region_code: str) -> str:
    """370000 → 37, 370600 → 3706, 370602 → 370602 (GB/T 2260 nesting)."""
    return region_code[:2] if region_code.endswith("0000") else region_code[:4] if region_code.endswith("00") \
        else region_code


class ImportRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def batch(self, agency: str, batch_id: str) -> ImportBatchRow | None:
        return await self.session.get(ImportBatchRow, (agency, batch_id))

    async def persons(self, id_numbers: Sequence[str]) -> dict[str, tuple[int, str]]:
        """id_number → (person id, region code)."""
        found: dict[str, tuple[int, str]] = {}
        for part in chunks(id_numbers):
            rows = await self.session.execute(select(PERSONS.c.id_number, PERSONS.c.id, PERSONS.c.region_code)
                                              .where(PERSONS.c.id_number.in_(part)))
            found.update({number: (pid, region) for number, pid, region in rows})
        return found

    async def lock(self, person_ids: Iterable[int]) -> None:
        """Row locks on the persons a list touches, in id order: two imports (or an import and a
        single push) that share persons wait for each other instead of deadlocking."""
        for part in chunks(sorted(set(person_ids))):
            await self.session.execute(select(PERSONS.c.id).where(PERSONS.c.id.in_(part))
                                       .order_by(PERSONS.c.id).with_for_update())

    async def insurance_events(self, person_ids: Sequence[int]) -> dict[int, list[Any]]:
        events: dict[int, list[Any]] = {pid: [] for pid in person_ids}
        for part in chunks(person_ids):
            for row in await self.session.execute(select(EVENTS).where(EVENTS.c.person_id.in_(part))):
                events[row.person_id].append(row)
        return events

    async def held(self, person_ids: Sequence[int], category: str) -> dict[int, list[HeldIdentity]]:
        held: dict[int, list[HeldIdentity]] = {pid: [] for pid in person_ids}
        for part in chunks(person_ids):
            rows = await self.session.execute(select(IDENTITIES).where(
                IDENTITIES.c.person_id.in_(part), IDENTITIES.c.category == category,
                IDENTITIES.c.superseded_at.is_(None),
            ))
            for row in rows:
                held[row.person_id].append(_held(row))
        return held

    async def members(self, region_code: str, category: str) -> dict[int, tuple[str, str, list[HeldIdentity]]]:
        """Everyone in the region holding a current identity of the category: person id →
        (id number, region, identities)."""
        rows = await self.session.execute(
            select(IDENTITIES, PERSONS.c.id_number, PERSONS.c.region_code)
            .join(PERSONS, PERSONS.c.id == IDENTITIES.c.person_id)
            .where(IDENTITIES.c.category == category, IDENTITIES.c.superseded_at.is_(None),
                   PERSONS.c.region_code.startswith(region_prefix(region_code)))
        )
        members: dict[int, tuple[str, str, list[HeldIdentity]]] = {}
        for row in rows:
            members.setdefault(row.person_id, (row.id_number, row.region_code, []))[2].append(_held(row))
        return members

    async def supersede(self, row_ids: Sequence[int], at: datetime) -> None:
        for part in chunks(row_ids):
            await self.session.execute(update(IDENTITIES).where(IDENTITIES.c.id.in_(part)).values(superseded_at=at))

    async def insert_many(self, table: Any, values: list[dict[str, Any]]) -> None:
        for part in chunks(values, 5000):
            await self.session.execute(insert(table), list(part))

    async def rows(
        self, agency: str, batch_id: str, *, outcome: str | None, limit: int, offset: int,
    ) -> list[ImportRowRow]:
        query = select(ImportRowRow).where(ImportRowRow.agency == agency, ImportRowRow.batch_id == batch_id)
        if outcome is not None:
            query = query.where(ImportRowRow.outcome == outcome)
        return list(await self.session.scalars(query.order_by(ImportRowRow.id).limit(limit).offset(offset)))


def _held(row: Any) -> HeldIdentity:
    return HeldIdentity(row.id, row.identity_key, row.document_number, row.approved_on, row.ended_on,
                        row.effective_from, row.effective_until)
