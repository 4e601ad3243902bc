"""What an eligibility answer reads, in SQLAlchemy Core on a connection outside a transaction:
every settlement and admission asks it, so it costs four plain reads and no ORM unit of work."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.registry.chronic.models import ChronicFilingRow
from services.registry.identities.models import IdentityRow
from services.registry.persons.models import InsuranceEventRow, PersonRow
from shared.db import one_of

PERSONS, EVENTS = PersonRow.__table__, InsuranceEventRow.__table__
IDENTITIES, FILINGS = IdentityRow.__table__, ChronicFilingRow.__table__


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
