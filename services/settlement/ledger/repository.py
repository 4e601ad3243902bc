"""The ledger's queries, in SQLAlchemy Core: this is the hot path of every settlement, and the ORM's
unit of work costs more CPU here than the database does."""

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.settlement.ledger.models import ACCUMULATORS, LedgerEntryRow, PersonYearRow
from shared.contracts.calculation import YearToDate

_PERSON_YEARS = PersonYearRow.__table__
_ENTRIES = LedgerEntryRow.__table__


@dataclass
class PersonYear:
    """A locked person-year: its balances and how many settlements/cancellations it has seen."""

    id_number: str
    year: int
    balances: dict[str, Decimal]
    entries: int

    def year_to_date(self) -> YearToDate:
        return YearToDate(**{**self.balances, "admissions": int(self.balances["admissions"])})


@dataclass(frozen=True)
class Entry:
    accumulator: str
    amount: Decimal
    balance_after: Decimal


class LedgerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _select(self, id_number: str, year: int):  # type: ignore[no-untyped-def]
        return select(_PERSON_YEARS).where(_PERSON_YEARS.c.id_number == id_number, _PERSON_YEARS.c.year == year)

    async def read(self, id_number: str, year: int) -> YearToDate:
        row = (await self.session.execute(self._select(id_number, year))).mappings().first()
        if row is None:
            return YearToDate()
        return PersonYear(id_number, year, {n: row[n] for n in ACCUMULATORS}, row["entries"]).year_to_date()

    async def lock(self, id_number: str, year: int) -> PersonYear:
        """The person-year row, locked until the transaction ends (created if it is the first)."""
        query = self._select(id_number, year).with_for_update()
        row = (await self.session.execute(query)).mappings().first()
        if row is None:
            try:
                async with self.session.begin_nested():
                    await self.session.execute(insert(_PERSON_YEARS).values(
                        id_number=id_number, year=year, entries=0, **dict.fromkeys(ACCUMULATORS, Decimal(0)),
                    ))
            except IntegrityError:
                pass  # a concurrent first settlement created it: lock theirs
            row = (await self.session.execute(query)).mappings().one()
        return PersonYear(id_number, year, {n: row[n] for n in ACCUMULATORS}, row["entries"])

    async def append(
        self, person_year: PersonYear, settlement_id: str, kind: str,
        deltas: dict[str, Decimal], caps: dict[str, Decimal],
    ) -> list[Entry]:
        person_year.entries += 1
        entries: list[Entry] = []
        for name in ACCUMULATORS:
            amount = deltas.get(name, Decimal(0))
            if amount:
                person_year.balances[name] += amount
                entries.append(Entry(name, amount, person_year.balances[name]))
        if entries:
            await self.session.execute(insert(_ENTRIES), [{
                "id_number": person_year.id_number, "year": person_year.year, "entry_no": person_year.entries,
                "settlement_id": settlement_id, "accumulator": e.accumulator, "kind": kind, "amount": e.amount,
                "balance_after": e.balance_after, "cap": caps.get(e.accumulator),
            } for e in entries])
        await self.session.execute(
            update(_PERSON_YEARS)
            .where(_PERSON_YEARS.c.id_number == person_year.id_number, _PERSON_YEARS.c.year == person_year.year)
            .values(entries=person_year.entries, **person_year.balances)
        )
        return entries

    async def entries_of(self, settlement_id: str, kind: str) -> list[Entry]:
        query = select(_ENTRIES.c.accumulator, _ENTRIES.c.amount, _ENTRIES.c.balance_after).where(
            _ENTRIES.c.settlement_id == settlement_id, _ENTRIES.c.kind == kind
        ).order_by(_ENTRIES.c.id)
        return [Entry(*row) for row in await self.session.execute(query)]
