"""What an eligibility answer reads: the person, the enrolment events, the identity versions, the
chronic filings and the out-of-region filings. Every settlement and admission asks it, so it is read
outside any transaction: on PostgreSQL in one statement on a bare asyncpg connection (one round
trip, about a tenth of the CPU of the five SQLAlchemy reads), elsewhere with the five reads of
`EligibilityRecords`, which the list imports also use."""

from collections.abc import Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import asyncpg
from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.registry.chronic.models import ChronicFilingRow
from services.registry.identities.models import IdentityRow
from services.registry.out_of_region.models import OutOfRegionFilingRow
from services.registry.persons.models import InsuranceEventRow, PersonRow
from shared.db import Database, one_of

PERSONS, EVENTS = PersonRow.__table__, InsuranceEventRow.__table__
IDENTITIES, FILINGS = IdentityRow.__table__, ChronicFilingRow.__table__
OUT_OF_REGION = OutOfRegionFilingRow.__table__


def _by_person(rows: Any, person_ids: Sequence[int]) -> dict[int, list[Row[Any]]]:
    grouped: dict[int, list[Row[Any]]] = {pid: [] for pid in person_ids}
    for row in rows:
        grouped[row.person_id].append(row)
    return grouped


class EligibilityRecords:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    def _one_of(self, column: Any, values: Sequence[Any]) -> Any:
        return one_of(self.connection.dialect.name, column, values)

    async def persons(self, id_numbers: Sequence[str]) -> dict[str, Row[Any]]:
        rows = await self.connection.execute(select(PERSONS).where(self._one_of(PERSONS.c.id_number, id_numbers)))
        return {row.id_number: row for row in rows}

    async def events(self, person_ids: Sequence[int]) -> dict[int, list[Row[Any]]]:
        return _by_person(await self.connection.execute(
            select(EVENTS).where(self._one_of(EVENTS.c.person_id, person_ids))), person_ids)

    async def identities(self, person_ids: Sequence[int], *, with_superseded: bool) -> dict[int, list[Row[Any]]]:
        query = select(IDENTITIES).where(self._one_of(IDENTITIES.c.person_id, person_ids))
        if not with_superseded:
            query = query.where(IDENTITIES.c.superseded_at.is_(None))
        return _by_person(await self.connection.execute(query), person_ids)

    async def filings(self, person_ids: Sequence[int]) -> dict[int, list[Row[Any]]]:
        query = select(FILINGS).where(self._one_of(FILINGS.c.person_id, person_ids), FILINGS.c.status == "in_force")
        return _by_person(await self.connection.execute(query), person_ids)

    async def out_of_region_filings(self, person_ids: Sequence[int]) -> dict[int, list[Row[Any]]]:
        query = select(OUT_OF_REGION).where(self._one_of(OUT_OF_REGION.c.person_id, person_ids),
                                            OUT_OF_REGION.c.in_force_since.is_not(None))
        return _by_person(await self.connection.execute(query), person_ids)


@dataclass(frozen=True)
class PersonRecords:
    """One person's rows, each read by attribute (`person.region_code`, `identity.effective_from`)."""

    person: Any
    events: list[Any]
    identities: list[Any]
    filings: list[Any]
    out_of_region_filings: list[Any]


_ONE_READ = """
SELECT persons.*,
    ARRAY(SELECT e FROM insurance_events AS e WHERE e.person_id = persons.id) AS events,
    ARRAY(SELECT i FROM identities AS i WHERE i.person_id = persons.id AND ($2 OR i.superseded_at IS NULL))
        AS identities,
    ARRAY(SELECT f FROM chronic_filings AS f WHERE f.person_id = persons.id AND f.status = 'in_force') AS filings,
    ARRAY(SELECT o FROM out_of_region_filings AS o
          WHERE o.person_id = persons.id AND o.in_force_since IS NOT NULL) AS out_of_region_filings
FROM persons WHERE id_number = ANY($1::text[])
"""


def _fields(record: Any) -> SimpleNamespace:
    return SimpleNamespace(**dict(record.items()))


async def _read_in_one(database: Database, id_numbers: Sequence[str], with_superseded: bool) -> list[Any]:
    async with database.driver_connection() as connection:
        return await connection.fetch(_ONE_READ, list(id_numbers), with_superseded)


async def read_records(
    database: Database, id_numbers: Sequence[str], *, with_superseded: bool,
) -> dict[str, PersonRecords]:
    """The records of the persons found, by ID number; identity versions already superseded only
    `with_superseded` (for answers as recorded at a past moment)."""
    if database.is_postgresql:
        try:
            rows = await _read_in_one(database, id_numbers, with_superseded)
        except asyncpg.OutdatedSchemaCacheError:  # a migration changed a table's row type since
            await database.renew_driver_connections()
            rows = await _read_in_one(database, id_numbers, with_superseded)
        return {row["id_number"]: PersonRecords(
            _fields(row), [_fields(e) for e in row["events"]], [_fields(i) for i in row["identities"]],
            [_fields(f) for f in row["filings"]], [_fields(o) for o in row["out_of_region_filings"]],
        ) for row in rows}
    async with database.autocommit.connect() as connection:
        records = EligibilityRecords(connection)
        persons = await records.persons(id_numbers)
        ids = [p.id for p in persons.values()]
        events = await records.events(ids)
        versions = await records.identities(ids, with_superseded=with_superseded)
        filings = await records.filings(ids)
        out_of_region = await records.out_of_region_filings(ids)
    return {n: PersonRecords(p, events[p.id], versions[p.id], filings[p.id], out_of_region[p.id])
            for n, p in persons.items()}
# What every eligibility answer runs, prepared on the warm connections (shared.db.Database.warm).
HOT_STATEMENTS = (_ONE_READ,)
