"""High-cost monitoring's write path (a month's run: one transaction) and its lists."""

import logging
from datetime import UTC, datetime

from sqlalchemy import Row

from services.settlement.alerts.repository import AlertRepository
from services.settlement.alerts.rules import (
    HighCostData,
    Lines,
    Threshold,
    flag,
    flagged_event,
    month_not_in_year,
    visible_categories,
)
from services.settlement.alerts.schemas import HighCostAlert, HighCostAlerts, HighCostRun
from services.settlement.changes.repository import ChangeRepository
from services.settlement.fund.rules import month_of
from shared.auth import Principal
from shared.categories import Agency
from shared.clock import today
from shared.db import Database

log = logging.getLogger(__name__)


class AlertService:
    def __init__(self, database: Database, data: HighCostData) -> None:
        self.database = database
        self.data = data

    async def run(self, month_text: str, principal: Principal) -> HighCostRun:
        """Flags every person-year past its line at the month's end not flagged before. Run again, it
        writes nothing new: the same month any number of times, or two runs at once (the unique key)."""
        month = month_of(month_text, today())
        rule = self.data.rule_on(month.last_day)
        income = self.data.income_for(month.year)
        lines = Lines.of(rule, income)
        categories = sorted(rule.monitored_categories)
        async with self.database.engine.begin() as connection:
            repository = AlertRepository(connection)
            burdens = await repository.burdens(month.year, month.last_day, lines.lowest, categories)
            now = datetime.now(UTC)
            run_id = await repository.add_run(month=str(month), ran_at=now, ran_by=principal.subject,
                                              income_year=income.year, income=income.amount,
                                              income_verified=income.verified, flagged=0)
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
            "month": str(month), "flagged": flagged, "over_a_line": len(flags), "actor": principal.subject}})
        return HighCostRun(
            month=str(month), income_year=income.year, income=income.amount, income_verified=income.verified,
            monitored_line=lines.monitored, ordinary_line=lines.ordinary, flagged=flagged,
            items=[_alert(row, principal) for row in rows],
        )

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
