from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.settlement.ledger.models import ACCUMULATORS, LedgerEntryRow, PersonYearRow
from shared.contracts.calculation import YearToDate


def balances(row: PersonYearRow | None) -> YearToDate:
    if row is None:
        return YearToDate()
    values = {name: getattr(row, name) for name in ACCUMULATORS}
    return YearToDate(**{**values, "admissions": int(values["admissions"])})


class LedgerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def read(self, id_number: str, year: int) -> YearToDate:
        return balances(await self.session.get(PersonYearRow, (id_number, year)))

    async def lock(self, id_number: str, year: int) -> PersonYearRow:
        """The person-year row, locked until the transaction ends (created if it is the first)."""
        query = (
            select(PersonYearRow)
            .where(PersonYearRow.id_number == id_number, PersonYearRow.year == year)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        row = await self.session.scalar(query)
        if row is not None:
            return row
        try:
            async with self.session.begin_nested():
                self.session.add(PersonYearRow(
                    id_number=id_number, year=year, entries=0, **dict.fromkeys(ACCUMULATORS, Decimal(0)),
                ))
        except IntegrityError:
            pass  # a concurrent first settlement created it: lock theirs
        row = await self.session.scalar(query)
        assert row is not None
        return row

    def append(
        self, row: PersonYearRow, settlement_id: str, kind: str,
        deltas: dict[str, Decimal], caps: dict[str, Decimal],
    ) -> list[LedgerEntryRow]:
        row.entries += 1
        entries = []
        for name in ACCUMULATORS:
            amount = deltas.get(name, Decimal(0))
            if amount == 0:
                continue
            balance = getattr(row, name) + amount
            setattr(row, name, balance)
            entries.append(LedgerEntryRow(
                id_number=row.id_number, year=row.year, entry_no=row.entries, settlement_id=settlement_id,
                accumulator=name, kind=kind, amount=amount, balance_after=balance, cap=caps.get(name),
            ))
        self.session.add_all(entries)
        return entries

    async def entries_of(self, settlement_id: str, kind: str) -> list[LedgerEntryRow]:
        query = select(LedgerEntryRow).where(
            LedgerEntryRow.settlement_id == settlement_id, LedgerEntryRow.kind == kind
        ).order_by(LedgerEntryRow.id)
        return list(await self.session.scalars(query))
