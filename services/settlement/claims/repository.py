"""Every query of the claims. The close is set-based: a month of a hospital's settlements goes into
its claim in one INSERT … SELECT, and the sums come from one aggregate, whatever the count."""

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, and_, case, exists, func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.settlement.claims.models import (
    ClaimFundRow,
    ClaimLineRow,
    ClaimPeriodRow,
    ClaimPeriodRuleRow,
    ClaimRejectionRow,
)
from services.settlement.claims.rules import UNPAID, Payee, PeriodRule, Status
from services.settlement.settlements.funds import ASSISTANCE_FUNDS, FUND_LABELS
from services.settlement.settlements.models import SettlementRow
from services.settlement.settlements.repository import CLAIM_LEASE
from shared.db import insert_unless_exists

_RULES = ClaimPeriodRuleRow.__table__
_PERIODS = ClaimPeriodRow.__table__
_LINES = ClaimLineRow.__table__
_FUNDS = ClaimFundRow.__table__
_REJECTIONS = ClaimRejectionRow.__table__
_SETTLEMENTS = SettlementRow.__table__
SETTLEMENT, ADJUSTMENT = "settlement", "adjustment"
LIST_LIMIT = 500


def _amount(name: str) -> Any:
    return func.coalesce(_SETTLEMENTS.c[name], 0)  # null on settlements older than the column


def _payable() -> Any:
    return sum((_amount(name) for name in ASSISTANCE_FUNDS), literal(0))


class ClaimRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def rules(self) -> dict[str, PeriodRule]:
        """Every rule by id, oldest first."""
        rows = await self.connection.execute(select(_RULES).order_by(_RULES.c.effective_from))
        return {row.id: PeriodRule(
            id=row.id, region_code=row.region_code, effective_from=row.effective_from,
            effective_until=row.effective_until, months=row.months, due_months=row.due_months,
            payees=tuple(Payee(p) for p in json.loads(row.payees)),
            documents=tuple((d["code"], d["label"]) for d in json.loads(row.documents)), source=row.source,
        ) for row in rows}

    async def add_period(self, **values: Any) -> bool:
        """False when the hospital's period starting that day exists already (opened concurrently)."""
        done = await self.connection.execute(
            insert_unless_exists(self.connection, _PERIODS, ["hospital_code", "starts_on"]).values(**values))
        return done.rowcount == 1

    async def period(self, period_id: str, *, lock: bool = False) -> Row | None:
        query = select(_PERIODS).where(_PERIODS.c.id == period_id)
        return (await self.connection.execute(query.with_for_update() if lock else query)).first()

    async def period_starting(self, hospital_code: str, starts_on: date) -> Row | None:
        return (await self.connection.execute(select(_PERIODS).where(
            _PERIODS.c.hospital_code == hospital_code, _PERIODS.c.starts_on == starts_on))).first()

    async def earlier_open(self, hospital_code: str, starts_on: date) -> bool:
        return bool(await self.connection.scalar(select(exists().where(
            _PERIODS.c.hospital_code == hospital_code, _PERIODS.c.starts_on < starts_on,
            _PERIODS.c.status == Status.OPEN))))

    async def settling(self, hospital_code: str, before: datetime, now: datetime) -> bool:
        """A settlement of the hospital begun before `before` and still in progress within its lease
        (one past it died with its process, and is never settled under that claim)."""
        return bool(await self.connection.scalar(select(exists().where(
            _SETTLEMENTS.c.hospital_code == hospital_code, _SETTLEMENTS.c.status == "in_progress",
            _SETTLEMENTS.c.created_at < before, _SETTLEMENTS.c.created_at >= now - CLAIM_LEASE))))

    async def claim_settlements(self, period_id: str, hospital_code: str, start: datetime, end: datetime) -> None:
        """The hospital's settlements settled in [start, end) and not cancelled, into the claim."""
        await self.connection.execute(insert(_LINES).from_select(
            ["settlement_id", "kind", "period_id"],
            select(_SETTLEMENTS.c.id, literal(SETTLEMENT), literal(period_id)).where(
                _SETTLEMENTS.c.hospital_code == hospital_code, _SETTLEMENTS.c.settled_at >= start,
                _SETTLEMENTS.c.settled_at < end, _SETTLEMENTS.c.status == "settled"),
        ))

    async def claim_adjustments(self, period_id: str, hospital_code: str) -> None:
        """Every settlement of an earlier claim of the hospital cancelled since, not yet deducted and not
        rejected by that claim's review (never paid, so nothing to deduct): deducted in this claim."""
        claimed, adjusted, rejected = _LINES.alias("claimed"), _LINES.alias("adjusted"), _REJECTIONS
        await self.connection.execute(insert(_LINES).from_select(
            ["settlement_id", "kind", "period_id"],
            select(_SETTLEMENTS.c.id, literal(ADJUSTMENT), literal(period_id))
            .join(claimed, and_(claimed.c.settlement_id == _SETTLEMENTS.c.id, claimed.c.kind == SETTLEMENT))
            .where(
                _SETTLEMENTS.c.hospital_code == hospital_code, _SETTLEMENTS.c.cancelled_at.is_not(None),
                _SETTLEMENTS.c.status == "cancelled", claimed.c.period_id != period_id,
                ~exists().where(adjusted.c.settlement_id == _SETTLEMENTS.c.id, adjusted.c.kind == ADJUSTMENT),
                ~exists().where(rejected.c.settlement_id == _SETTLEMENTS.c.id, rejected.c.kind == SETTLEMENT),
            ),
        ))

    async def sums(self, period_id: str) -> dict[str, Any]:
        """Counts, total cost, payable and each fund's sum of the claim's lines, adjustments deducted."""
        sign = case((_LINES.c.kind == ADJUSTMENT, -1), else_=1)
        row = (await self.connection.execute(
            select(
                func.count().filter(_LINES.c.kind == SETTLEMENT).label("settlements_count"),
                func.count().filter(_LINES.c.kind == ADJUSTMENT).label("adjustments_count"),
                func.coalesce(func.sum(sign * _amount("total")), 0).label("total"),
                func.coalesce(func.sum(sign * _payable()), 0).label("payable"),
                *(func.coalesce(func.sum(sign * _amount(name)), 0).label(name) for name in FUND_LABELS),
            ).select_from(_LINES.join(_SETTLEMENTS, _SETTLEMENTS.c.id == _LINES.c.settlement_id))
            .where(_LINES.c.period_id == period_id)
        )).one()
        return dict(row._mapping)

    async def sums_by_kind(self, period_id: str) -> dict[str, dict[str, Any]]:
        """The claim's settlements and its adjustments apart (adjustments negative): count, total cost,
        payable and each fund's sum; the two add up to `sums`."""
        sign = case((_LINES.c.kind == ADJUSTMENT, -1), else_=1)
        rows = await self.connection.execute(
            select(
                _LINES.c.kind, func.count().label("count"),
                func.coalesce(func.sum(sign * _amount("total")), 0).label("total"),
                func.coalesce(func.sum(sign * _payable()), 0).label("payable"),
                *(func.coalesce(func.sum(sign * _amount(name)), 0).label(name) for name in FUND_LABELS),
            ).select_from(_LINES.join(_SETTLEMENTS, _SETTLEMENTS.c.id == _LINES.c.settlement_id))
            .where(_LINES.c.period_id == period_id).group_by(_LINES.c.kind))
        return {row.kind: dict(row._mapping) for row in rows}

    async def add_funds(self, period_id: str, amounts: dict[str, Decimal]) -> None:
        await self.connection.execute(insert(_FUNDS), [
            {"period_id": period_id, "fund": fund, "amount": amount} for fund, amount in amounts.items()])

    async def funds(self, period_id: str) -> dict[str, Decimal]:
        rows = await self.connection.execute(select(_FUNDS.c.fund, _FUNDS.c.amount).where(
            _FUNDS.c.period_id == period_id))
        return {row.fund: row.amount for row in rows}

    async def funds_of(self, period_ids: list[str]) -> dict[str, dict[str, Decimal]]:
        """The fund sums of several claims at once (a listing)."""
        found: dict[str, dict[str, Decimal]] = {}
        for row in await self.connection.execute(select(_FUNDS).where(_FUNDS.c.period_id.in_(period_ids))):
            found.setdefault(row.period_id, {})[row.fund] = row.amount
        return found

    async def move(self, period_id: str, from_status: Status, **values: Any) -> bool:
        """Set `values` if the period is still `from_status` (False otherwise: another request moved it)."""
        done = await self.connection.execute(update(_PERIODS).where(
            _PERIODS.c.id == period_id, _PERIODS.c.status == from_status).values(**values))
        return done.rowcount == 1

    async def settlement_lines(self, period_id: str, settlement_ids: list[str]) -> dict[str, Decimal]:
        """Of these settlements, those that are settlement lines of the claim, with their payable amount."""
        rows = await self.connection.execute(
            select(_LINES.c.settlement_id, _payable().label("payable"))
            .join(_SETTLEMENTS, _SETTLEMENTS.c.id == _LINES.c.settlement_id)
            .where(_LINES.c.period_id == period_id, _LINES.c.kind == SETTLEMENT,
                   _LINES.c.settlement_id.in_(settlement_ids)))
        return {row.settlement_id: row.payable for row in rows}

    async def add_rejections(self, period_id: str, reasons: dict[str, str]) -> None:
        await self.connection.execute(insert(_REJECTIONS), [
            {"settlement_id": settlement_id, "kind": SETTLEMENT, "period_id": period_id, "reason": reason}
            for settlement_id, reason in reasons.items()])

    async def rejections(self, period_id: str) -> list[Row]:
        return list(await self.connection.execute(
            select(_REJECTIONS.c.settlement_id, _REJECTIONS.c.reason, _SETTLEMENTS.c.his_serial,
                   _payable().label("payable"))
            .join(_SETTLEMENTS, _SETTLEMENTS.c.id == _REJECTIONS.c.settlement_id)
            .where(_REJECTIONS.c.period_id == period_id).order_by(_SETTLEMENTS.c.his_serial)))

    async def lines(self, period_id: str, *, limit: int | None, offset: int = 0, kind: str | None = None) -> list[Row]:
        """The claim's lines (of `kind`, if given), settlements first, each with the settlement's figures
        and any rejection; `limit` None: all of them (a downloaded claim)."""
        query = (
            select(_LINES.c.kind, _SETTLEMENTS.c.id, _SETTLEMENTS.c.his_serial, _SETTLEMENTS.c.settled_at,
                   _SETTLEMENTS.c.cancelled_at, _SETTLEMENTS.c.total,
                   *(_SETTLEMENTS.c[name] for name in FUND_LABELS), _REJECTIONS.c.reason.label("rejected_reason"))
            .join(_SETTLEMENTS, _SETTLEMENTS.c.id == _LINES.c.settlement_id)
            .outerjoin(_REJECTIONS, and_(_REJECTIONS.c.settlement_id == _LINES.c.settlement_id,
                                         _REJECTIONS.c.kind == _LINES.c.kind))
            .where(_LINES.c.period_id == period_id)
            .order_by(_LINES.c.kind.desc(), _SETTLEMENTS.c.settled_at, _SETTLEMENTS.c.id)
            .limit(limit).offset(offset))
        return list(await self.connection.execute(query if kind is None else query.where(_LINES.c.kind == kind)))

    async def past_due_count(self, today: date) -> int:
        """The unpaid periods whose deadline has passed (as `listing(past_due_on=today)`, all of them)."""
        return int(await self.connection.scalar(select(func.count()).select_from(_PERIODS).where(
            _PERIODS.c.status.in_(UNPAID), _PERIODS.c.due_on < today)))

    async def listing(self, *, hospital_code: str | None, status: Status | None, past_due_on: date | None) -> list[Row]:
        """The latest periods; with `past_due_on`, the unpaid ones whose deadline was before that day."""
        query = select(_PERIODS)
        if hospital_code is not None:
            query = query.where(_PERIODS.c.hospital_code == hospital_code)
        if status is not None:
            query = query.where(_PERIODS.c.status == status)
        if past_due_on is not None:
            query = query.where(_PERIODS.c.status.in_(UNPAID),
                                _PERIODS.c.due_on < past_due_on)
        return list(await self.connection.execute(
            query.order_by(_PERIODS.c.starts_on.desc(), _PERIODS.c.hospital_code).limit(LIST_LIMIT)))
