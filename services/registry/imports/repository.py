"""Bulk reads and writes for list imports, in SQLAlchemy Core: a list of 200,000 rows is read and
written in chunks, never row by row through the ORM."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.audit.models import AuditRow
from services.registry.eligibility.repository import EligibilityRecords
from services.registry.identities.models import IdentityRow
from services.registry.imports.models import ImportBatchRow, ImportRowRow
from services.registry.imports.plan import HeldIdentity
from services.registry.persons.models import PersonRow
from shared.db import chunks, insert_many, one_of
from shared.regions import region_prefix

CHUNK = 20_000
PERSONS, IDENTITIES = PersonRow.__table__, IdentityRow.__table__
ROWS, AUDIT = ImportRowRow.__table__, AuditRow.__table__
HELD_COLUMNS = [IDENTITIES.c[name] for name in (
    "id", "identity_key", "person_id", "category", "document_number", "approved_on", "ended_on", "effective_from",
    "effective_until", "superseded_at")]


class ImportRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.postgres = session.bind.dialect.name == "postgresql"

    def _one_of(self, column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
        return one_of(self.session.bind.dialect.name, column, values)

    async def batch(self, agency: str, batch_id: str) -> ImportBatchRow | None:
        return await self.session.get(ImportBatchRow, (agency, batch_id))

    async def persons(self, id_numbers: Sequence[str]) -> dict[str, tuple[int, str, str]]:
        """id_number → (person id, name, region code)."""
        found: dict[str, tuple[int, str, str]] = {}
        for part in chunks(id_numbers, self._chunk):
            rows = await self.session.execute(
                select(PERSONS.c.id_number, PERSONS.c.id, PERSONS.c.name, PERSONS.c.region_code)
                .where(self._one_of(PERSONS.c.id_number, part)))
            found.update({number: (pid, name, region) for number, pid, name, region in rows})
        return found

    async def lock(self, person_ids: Iterable[int]) -> None:
        """Row locks on the persons a list touches, in id order: two imports (or an import and a
        single push) that share persons wait for each other instead of deadlocking."""
        for part in chunks(sorted(set(person_ids)), self._chunk):
            await self.session.execute(select(PERSONS.c.id).where(self._one_of(PERSONS.c.id, part))
                                       .order_by(PERSONS.c.id).with_for_update())

    async def insurance_events(self, person_ids: Sequence[int]) -> dict[int, list[Any]]:
        records = EligibilityRecords(await self.session.connection())  # the eligibility read, chunk by chunk
        events: dict[int, list[Any]] = {}
        for part in chunks(person_ids, self._chunk):
            events.update(await records.events(part))
        return events

    async def held(self, person_ids: Sequence[int], category: str) -> dict[int, list[HeldIdentity]]:
        held: dict[int, list[HeldIdentity]] = {pid: [] for pid in person_ids}
        for part in chunks(person_ids, self._chunk):
            rows = await self.session.execute(select(*HELD_COLUMNS).where(self._one_of(IDENTITIES.c.person_id, part)))
            for row in rows:
                if row.category == category and row.superseded_at is None:
                    held[row.person_id].append(_held(row))
        return held

    async def members(
        self, region_code: str, category: str,
    ) -> dict[int, tuple[str, str, str, list[HeldIdentity]]]:
        """Everyone in the region holding a current identity of the category: person id →
        (id number, name, region, identities)."""
        rows = await self.session.execute(
            select(*HELD_COLUMNS, PERSONS.c.id_number, PERSONS.c.name, PERSONS.c.region_code)
            .join(PERSONS, PERSONS.c.id == IDENTITIES.c.person_id)
            .where(IDENTITIES.c.category == category, IDENTITIES.c.superseded_at.is_(None),
                   PERSONS.c.region_code.startswith(region_prefix(region_code)))
        )
        members: dict[int, tuple[str, str, str, list[HeldIdentity]]] = {}
        for row in rows:
            members.setdefault(row.person_id, (row.id_number, row.name, row.region_code, []))[3].append(_held(row))
        return members

    async def supersede(self, row_ids: Sequence[int], at: datetime) -> None:
        for part in chunks(row_ids, self._chunk):
            await self.session.execute(update(IDENTITIES).where(self._one_of(IDENTITIES.c.id, part))
                                       .values(superseded_at=at))

    async def insert_many(self, table: Any, values: list[dict[str, Any]]) -> None:
        await insert_many(self.session, table, values)

    @property
    def _chunk(self) -> int:
        return CHUNK if self.postgres else 500  # SQLite: a few hundred placeholders per statement

    async def refresh_statistics(self) -> None:
        """After a large list, let PostgreSQL see the new table sizes: prepared statements planned
        while the tables were small would otherwise scan them whole (seconds instead of 0.1 s)."""
        if self.session.bind.dialect.name == "postgresql":
            await self.session.execute(text("ANALYZE identities, audit_log, import_rows"))

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
