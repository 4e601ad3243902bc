"""Every query of high-cost monitoring: the person-years' burdens up to a month's end (one aggregate over
the settlements and their ledger entries), the flags written once, the runs and the lists."""

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.settlement.alerts.models import HighCostAlertRow, HighCostRunRow, HighCostScheduledMonthRow
from services.settlement.alerts.rules import PersonBurden, Threshold
from services.settlement.ledger.models import LedgerEntryRow
from services.settlement.settlements.models import SettlementRow
from shared.categories import Category
from shared.db import insert_unless_exists
from shared.money import to_yuan
from shared.regions import region_prefix

_SETTLEMENTS = SettlementRow.__table__
_LEDGER = LedgerEntryRow.__table__
_ALERTS = HighCostAlertRow.__table__
_RUNS = HighCostRunRow.__table__
_SCHEDULED = HighCostScheduledMonthRow.__table__
# The two other insurance payments a settlement row does not keep in a column of its own: both are
# in the ledger, one entry each where paid (大病保险特殊药品 is paid by critical illness; 职工大额).
_PAID_BY_INSURANCE_IN_LEDGER = ("special_drugs_paid", "large_expense_paid")


class AlertRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def burdens(
        self, region: str, year: int, last_day: date, above: Decimal, monitored: Sequence[Category],
    ) -> list[PersonBurden]:
        """Per person, the settlements in force of `year` discharged by `last_day` (cancelled ones left out)
        under a policy of `region` (their account lies in it: fund.rules.drawing_region takes the person's
        district, or the hospital's in the same city, so its city is the policy's), their bills less what
        basic insurance, critical illness (special drugs included) and the employee large-expense subsidy
        paid, summed; only the persons whose sum is above `above`. By the index on the discharge date and,
        per settlement, the ledger's index on the settlement."""
        s, entries = _SETTLEMENTS.c, _LEDGER.c
        paid_in_ledger = (
            select(func.coalesce(func.sum(entries.amount), 0))
            .where(entries.settlement_id == s.id, entries.kind == "settlement",
                   entries.accumulator.in_(_PAID_BY_INSURANCE_IN_LEDGER))
            .scalar_subquery()
        )
        burden = func.sum(s.total - s.basic_insurance - s.critical_illness - paid_in_ledger)
        last_under = [func.max(case((s.identity_applied == c.value, s.discharged_on))) for c in monitored]
        rows = await self.connection.execute(
            select(s.id_number, burden, func.count(), func.count(s.identity_applied), *last_under)
            .where(s.year == year, s.discharged_on <= last_day, s.status == "settled",
                   s.fund_region_code.startswith(region_prefix(region)))
            .group_by(s.id_number)
            .having(burden > above)
        )
        return [
            PersonBurden(
                id_number=row[0], burden=to_yuan(row[1]), settlements=row[2], any_identity=row[3] > 0,
                last_under={c: _day(d) for c, d in zip(monitored, row[4:], strict=True) if d is not None},
            )
            for row in rows
        ]

    async def add_run(self, **values: Any) -> int:
        return (await self.connection.execute(_RUNS.insert().values(**values).returning(_RUNS.c.id))).scalar_one()

    async def add_flags(self, flags: list[dict[str, Any]]) -> int:
        """Writes the flags not yet there (the unique key: a person-year once per threshold, whoever
        wrote it first); how many were new."""
        if not flags:
            return 0
        added = await self.connection.execute(
            insert_unless_exists(self.connection, _ALERTS, ("id_number", "year", "threshold")).returning(_ALERTS.c.id),
            flags)
        return len(added.all())

    async def latest_scheduled(self) -> str | None:
        """The latest month the worker has run (YYYY-MM sorts as text)."""
        return await self.connection.scalar(select(func.max(_SCHEDULED.c.month)))

    async def claim_month(self, month: str, at: datetime) -> bool:
        """Claim a month for the worker's run: False when another worker has (on PostgreSQL a claim
        not yet committed makes this wait for its outcome)."""
        claimed = await self.connection.execute(
            insert_unless_exists(self.connection, _SCHEDULED, ("month",)).values(month=month, claimed_at=at))
        return claimed.rowcount == 1

    async def set_scheduled_run(self, month: str, run_id: int) -> None:
        await self.connection.execute(_SCHEDULED.update().where(_SCHEDULED.c.month == month).values(run_id=run_id))

    async def set_flagged(self, run_id: int, flagged: int) -> None:
        await self.connection.execute(_RUNS.update().where(_RUNS.c.id == run_id).values(flagged=flagged))

    async def flags(
        self, year: int, month: str | None, categories: frozenset[Category] | None,
        threshold: Threshold | None = None, run_id: int | None = None,
    ) -> list[Row]:
        """The flags of a year (or of one of its months, or of one run), oldest first; with `categories`,
        only the monitored ones of those identities and the ordinary ones."""
        a = _ALERTS.c
        conditions = [a.year == year]
        if month is not None:
            conditions.append(a.month == month)
        if threshold is not None:
            conditions.append(a.threshold == threshold.value)
        if run_id is not None:
            conditions.append(a.run_id == run_id)
        if categories is not None:
            conditions.append(or_(a.threshold == Threshold.ORDINARY.value,
                                  and_(a.threshold == Threshold.MONITORED.value,
                                       a.category.in_([c.value for c in categories]))))
        return list(await self.connection.execute(select(_ALERTS).where(*conditions).order_by(a.id)))


def _day(value: date | str) -> date:
    """SQLite answers max() over a date column as its text."""
    return value if isinstance(value, date) else date.fromisoformat(value)
