"""Every query of reconciliation: our side of the books (read only, never a lock), and the runs.

`latest_for_range` is what the period close asks (claims/): the latest run of exactly its range."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Row, String, cast, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.settlement.reconciliation.models import ReconciliationRunRow
from services.settlement.reconciliation.rules import AMOUNTS, FUNDS, BookLine, Window
from services.settlement.settlements.models import SettlementRow
from shared.money import to_yuan

_SETTLEMENTS = SettlementRow.__table__
_RUNS = ReconciliationRunRow.__table__
RUNS_LISTED = 500


@dataclass(frozen=True, slots=True)
class LatestRun:
    id: str
    kind: str  # totals / detail
    matched: bool
    run_at: datetime
    run_by: str


def _of_hospital_in(hospital_code: str, window: Window):  # type: ignore[no-untyped-def]
    """A hospital's settlements of the window's days, by the index on (hospital, settlement time)."""
    start, end = window.instants()
    s = _SETTLEMENTS.c
    return (s.hospital_code == hospital_code) & (s.settled_at >= start) & (s.settled_at < end)


async def latest_for_range(
    session: AsyncSession | AsyncConnection, hospital_code: str, from_date: date, to_date: date,
    kind: str | None = None,
) -> LatestRun | None:
    """The latest reconciliation of the hospital covering exactly these settlement days (of `kind`,
    totals or detail, when given), or None when there was none."""
    r = _RUNS.c
    query = (select(r.id, r.kind, r.matched, r.run_at, r.run_by)
             .where(r.hospital_code == hospital_code, r.from_date == from_date, r.to_date == to_date)
             .order_by(r.run_at.desc(), r.id.desc()).limit(1))
    if kind is not None:
        query = query.where(r.kind == kind)
    row = (await session.execute(query)).first()
    return None if row is None else LatestRun(*row)


class ReconciliationRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def totals(self, hospital_code: str, window: Window) -> dict[str, Decimal]:
        """Count, total, each fund and the funds' total of the settlements in force settled in the
        window (a cancelled one counts on neither side: it paid nothing)."""
        s = _SETTLEMENTS.c
        sums = [func.coalesce(func.sum(s[name]), 0) for name in AMOUNTS]
        row = (await self.connection.execute(
            select(func.count(), *sums).where(_of_hospital_in(hospital_code, window), s.status == "settled")
        )).one()
        # quantized: SQLite sums its numeric columns as floats
        figures = {"count": Decimal(row[0]), **{name: to_yuan(value) for name, value in zip(AMOUNTS, row[1:],
                                                                                          strict=True)}}
        figures["fund_total"] = sum((figures[name] for name in FUNDS), Decimal(0))
        return figures

    async def book_lines(self, hospital_code: str, window: Window) -> list[BookLine]:
        """Every settlement settled in the window, in force or cancelled since, with its amounts."""
        s = _SETTLEMENTS.c
        # Amounts as text: the driver's binary numeric decoding was most of the time of 100,000 rows.
        rows = await self.connection.execute(
            select(s.his_serial, s.status == "cancelled", *(cast(s[name], String) for name in AMOUNTS))
            .where(_of_hospital_in(hospital_code, window), s.status != "in_progress")
        )
        return [BookLine(serial, cancelled, tuple(Decimal(v) for v in amounts))
                for serial, cancelled, *amounts in rows]

    async def add_run(self, **values: object) -> None:
        await self.connection.execute(insert(_RUNS).values(**values))

    async def run(self, run_id: str) -> Row | None:
        return (await self.connection.execute(select(_RUNS).where(_RUNS.c.id == run_id))).first()

    async def runs(self, *, hospital_code: str | None, from_date: date | None, to_date: date | None) -> list[Row]:
        """The latest runs (newest first) whose settlement days overlap [from_date, to_date]."""
        r = _RUNS.c
        query = select(r.id, r.kind, r.hospital_code, r.from_date, r.to_date, r.matched, r.run_at, r.run_by)
        if hospital_code is not None:
            query = query.where(r.hospital_code == hospital_code)
        if from_date is not None:
            query = query.where(r.to_date >= from_date)
        if to_date is not None:
            query = query.where(r.from_date <= to_date)
        return list(await self.connection.execute(query.order_by(r.run_at.desc(), r.id.desc()).limit(RUNS_LISTED)))
