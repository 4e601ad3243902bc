"""High-cost monitoring's write paths (a month's run, asked by ops or taken by the worker once the month
has ended: one transaction each) and its lists."""

import logging
from datetime import date

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from services.settlement.alerts.repository import AlertRepository
from services.settlement.alerts.rules import (
    HighCostData,
    Measure,
    Threshold,
    flag,
    flagged_event,
    month_not_in_year,
    visible_categories,
)
from services.settlement.alerts.schemas import HighCostAlert, HighCostAlerts, HighCostRun
from services.settlement.changes.repository import ChangeRepository
from services.settlement.fund.rules import Month, month_of
from shared.auth import Principal
from shared.categories import Agency
from shared.clock import Clock, today, utc_now
from shared.db import Database
from shared.errors import Unprocessable

log = logging.getLogger(__name__)

WORKER = "worker"
"""`ran_by` of the runs the worker takes by itself."""


class AlertService:
    def __init__(self, database: Database, data: HighCostData, clock: Clock = utc_now) -> None:
        self.database = database
        self.data = data
        self.clock = clock
        # The worker's step: the last ended month it has gone through (run, or refused and logged).
        self._gone_through: Month | None = None

    async def run(self, month_text: str, principal: Principal) -> HighCostRun:
        """Flags every person-year past its line at the month's end not flagged before. Run again, it
        writes nothing new: the same month any number of times, or two runs at once (the unique key)."""
        month = month_of(month_text, today(self.clock))
        measure = self.data.measure(month.last_day)
        async with self.database.engine.begin() as connection:
            _, rows = await self._flag(connection, month, measure, principal.subject)
        income, lines = measure.income, measure.lines
        return HighCostRun(
            month=str(month), income_year=income.year, income=income.amount, income_verified=income.verified,
            monitored_line=lines.monitored, ordinary_line=lines.ordinary, flagged=len(rows),
            items=[_alert(row, principal) for row in rows],
        )

    async def run_ended_months(self) -> int:
        """The worker's step: run each month once it has ended (in Beijing time), in order, from the one
        after the latest it ran (the first time: the month just ended; earlier months are ops' to run by
        the endpoint). Several workers: each month is claimed by one (`high_cost_scheduled_months`),
        in the run's transaction, so a worker that dies mid-run leaves it to the next. A month that
        cannot be run (no income figure for its year) is logged once and stops the step there, the
        months keeping their order, until a restart with the data. The months run (0: none due)."""
        last_ended = Month.of(today(self.clock)).previous
        if self._gone_through == last_ended:
            return 0
        async with self.database.autocommit.connect() as connection:
            latest = await AlertRepository(connection).latest_scheduled()
        month = last_ended if latest is None else Month.of(date.fromisoformat(f"{latest}-01")).next
        ran = 0
        while month.first_day <= last_ended.first_day:
            try:
                measure = self.data.measure(month.last_day)
            except Unprocessable as refused:
                log.warning("high-cost alerts of %s not run: %s (%s)", month, refused.code, refused.detail)
                break
            async with self.database.engine.begin() as connection:
                repository = AlertRepository(connection)
                if await repository.claim_month(str(month), self.clock()):
                    run_id, _ = await self._flag(connection, month, measure, WORKER)
                    await repository.set_scheduled_run(str(month), run_id)
                    ran += 1
            month = month.next
        self._gone_through = last_ended
        return ran

    async def _flag(self, connection: AsyncConnection, month: Month, measure: Measure,
                    ran_by: str) -> tuple[int, list[Row]]:
        """One run in the caller's transaction: its id and the flags it wrote (each published with it)."""
        repository = AlertRepository(connection)
        lines, income = measure.lines, measure.income
        burdens = await repository.burdens(measure.region_code, month.year, month.last_day, lines.lowest,
                                           measure.monitored)
        now = self.clock()
        run_id = await repository.add_run(month=str(month), ran_at=now, ran_by=ran_by, income_year=income.year,
                                          income=income.amount, income_verified=income.verified, flagged=0)
        # Written in a stable order (the lists read in the order flagged): the monitored first, by ID number.
        flags = sorted((f for f in (flag(b, lines) for b in burdens) if f is not None),
                       key=lambda f: (f.threshold.value, f.id_number))
        flagged = await repository.add_flags([{
            "id_number": f.id_number, "year": month.year, "threshold": f.threshold.value,
            "category": f.category.value if f.category else None, "month": str(month), "burden": f.burden,
            "line": f.line, "income": income.amount, "income_verified": income.verified,
            "settlements": f.settlements, "run_id": run_id, "flagged_at": now,
        } for f in flags])
        await repository.set_flagged(run_id, flagged)
        rows = await repository.flags(month.year, None, None, run_id=run_id)
        changes = ChangeRepository(connection)
        for row in rows:  # published with the flag or not at all
            await changes.add(flagged_event(row))
        log.info("high-cost run %s", month, extra={"fields": {
            "month": str(month), "flagged": flagged, "over_a_line": len(flags), "actor": ran_by}})
        return run_id, rows

    async def listing(
        self, year: int, month: str | None, threshold: Threshold | None, principal: Principal,
    ) -> HighCostAlerts:
        """An agency sees the identities whose lists it keeps and the ordinary persons; ops every flag."""
        if month is not None and not month.startswith(f"{year}-"):
            raise month_not_in_year(month, year)
        agency = Agency(principal.agency) if principal.agency else None
        categories = frozenset(c for r in self.data.rules for c in r.monitored_categories)
        async with self.database.autocommit.connect() as connection:
            rows = await AlertRepository(connection).flags(
                year, month, visible_categories(agency, categories), threshold)
        return HighCostAlerts(year=year, month=month, items=[_alert(row, principal) for row in rows])


def _alert(row: Row, principal: Principal) -> HighCostAlert:
    return HighCostAlert(
        id_number=principal.visible_id_number(row.id_number), year=row.year, month=row.month,
        threshold=row.threshold, category=row.category, burden=row.burden, line=row.line, income=row.income,
        income_verified=row.income_verified, settlements=row.settlements, flagged_at=row.flagged_at,
    )
