"""The fund's queries. The draws are read from the settlements themselves (their assistance and
re-assistance, their district account, when they were settled and cancelled): the settlement write
path writes nothing for the fund but the account on its own row. Approved corrections are read from
their items (each settlement's assistance and re-assistance difference, in its settlement's account,
when the proposal was approved)."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.settlement.corrections.models import CorrectionItemRow, CorrectionProposalRow
from services.settlement.corrections.rules import APPROVED
from services.settlement.fund.models import PreFundingRow
from services.settlement.fund.rules import is_city
from services.settlement.settlements.models import SettlementRow
from shared.db import insert_unless_exists

_PRE_FUNDINGS = PreFundingRow.__table__
_SETTLEMENTS = SettlementRow.__table__
_ZERO = Decimal("0.00")
# What a settlement draws: its assistance and re-assistance (null on one that paid none).
_ASSISTANCE = func.coalesce(_SETTLEMENTS.c.assistance, 0)
_RE_ASSISTANCE = func.coalesce(_SETTLEMENTS.c.re_assistance, 0)
_PROPOSALS = CorrectionProposalRow.__table__
_ITEMS = CorrectionItemRow.__table__
# What an approved correction of a settlement moves: > 0 paid out (更正补付), < 0 back (更正追回).
_CORRECTED = _ITEMS.c.assistance_difference + _ITEMS.c.re_assistance_difference
_APPROVED_ITEMS = (_ITEMS.join(_PROPOSALS, _PROPOSALS.c.id == _ITEMS.c.proposal_id)
                   .join(_SETTLEMENTS, _SETTLEMENTS.c.id == _ITEMS.c.settlement_id))


def _account(column: Any, account: str) -> ColumnElement[bool]:
    """The city's account holds every one of its districts' (and its own); a district's, its own."""
    return column.startswith(account[:4]) if is_city(account) else column == account


def _sum(condition: ColumnElement[bool], amount: Any) -> Any:
    return func.coalesce(func.sum(case((condition, amount), else_=0)), 0)


def _count(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


@dataclass(frozen=True)
class Draws:
    """An account's draws: before the month, in it, and over the warning window (each net of what
    cancellations gave back)."""

    drawn_before: Decimal
    returned_before: Decimal
    assistance: Decimal
    re_assistance: Decimal
    settled: int
    returned: Decimal
    cancelled: int
    drawn_in_window: Decimal


@dataclass(frozen=True)
class Corrected:
    """An account's approved corrections by approval time: net before the month (drawn: > 0), paid
    out and recovered in it (both ≥ 0), net over the warning window."""

    net_before: Decimal
    paid: Decimal
    recovered: Decimal
    net_in_window: Decimal


class FundRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def add(self, **values: Any) -> bool:
        """False when the reference is already recorded (nothing written)."""
        added = await self.connection.execute(
            insert_unless_exists(self.connection, _PRE_FUNDINGS, ("reference",)).values(**values))
        return added.rowcount == 1

    async def by_reference(self, reference: str) -> Row | None:
        return (await self.connection.execute(
            select(_PRE_FUNDINGS).where(_PRE_FUNDINGS.c.reference == reference))).first()

    async def pre_fundings(self, account: str, first_day: date, last_day: date) -> list[Row]:
        return list(await self.connection.execute(
            select(_PRE_FUNDINGS).where(_account(_PRE_FUNDINGS.c.region_code, account),
                                        _PRE_FUNDINGS.c.funded_on.between(first_day, last_day))
            .order_by(_PRE_FUNDINGS.c.funded_on, _PRE_FUNDINGS.c.recorded_at)))

    async def pre_funded_before(self, account: str, day: date) -> Decimal:
        return Decimal(await self.connection.scalar(
            select(func.coalesce(func.sum(_PRE_FUNDINGS.c.amount), 0))
            .where(_account(_PRE_FUNDINGS.c.region_code, account), _PRE_FUNDINGS.c.funded_on < day)))

    async def draws(self, account: str, start: datetime, end: datetime, window_start: datetime) -> Draws:
        """One pass over the account's settlements up to `end` (index on account, settled_at)."""
        settled, cancelled = _SETTLEMENTS.c.settled_at, _SETTLEMENTS.c.cancelled_at
        drawn = _ASSISTANCE + _RE_ASSISTANCE
        in_month = and_(settled >= start, settled < end)
        returned_in_month = and_(cancelled >= start, cancelled < end)
        row = (await self.connection.execute(select(
            _sum(settled < start, drawn), _sum(cancelled < start, drawn),
            _sum(in_month, _ASSISTANCE), _sum(in_month, _RE_ASSISTANCE), _count(in_month),
            _sum(returned_in_month, drawn), _count(and_(returned_in_month, drawn > 0)),
            _sum(settled >= window_start, drawn) - _sum(and_(cancelled >= window_start, cancelled < end), drawn),
        ).where(_account(_SETTLEMENTS.c.fund_region_code, account), settled < end))).one()
        return Draws(*(Decimal(v) for v in row[:4]), int(row[4]), Decimal(row[5]), int(row[6]), Decimal(row[7]))

    async def corrected(self, account: str, start: datetime, end: datetime, window_start: datetime) -> Corrected:
        """One pass over the account's approved corrections up to `end` (index on status, decided_at)."""
        decided = _PROPOSALS.c.decided_at
        in_month = and_(decided >= start, decided < end)
        row = (await self.connection.execute(select(
            _sum(decided < start, _CORRECTED), _sum(and_(in_month, _CORRECTED > 0), _CORRECTED),
            _sum(and_(in_month, _CORRECTED < 0), -_CORRECTED), _sum(decided >= window_start, _CORRECTED),
        ).select_from(_APPROVED_ITEMS).where(
            _PROPOSALS.c.status == APPROVED, decided < end, _account(_SETTLEMENTS.c.fund_region_code, account),
        ))).one()
        return Corrected(*(Decimal(v) for v in row))

    async def corrections(self, account: str, start: datetime, end: datetime) -> list[Row]:
        """The month's approved corrections that move money, one line per settlement, in approval order."""
        decided = _PROPOSALS.c.decided_at
        return list(await self.connection.execute(
            select(_PROPOSALS.c.id.label("proposal_id"), _ITEMS.c.settlement_id, _SETTLEMENTS.c.fund_region_code,
                   _SETTLEMENTS.c.hospital_code, decided, _ITEMS.c.assistance_difference,
                   _ITEMS.c.re_assistance_difference)
            .select_from(_APPROVED_ITEMS)
            .where(_PROPOSALS.c.status == APPROVED, decided >= start, decided < end, _CORRECTED != 0,
                   _account(_SETTLEMENTS.c.fund_region_code, account))
            .order_by(decided, _PROPOSALS.c.id, _ITEMS.c.position)))

    async def by_hospital(self, account: str, start: datetime, end: datetime) -> list[Row]:
        """The month's draws per district account and hospital (cancelled ones included: they drew in
        the month; what they gave back is an adjustment when they were cancelled)."""
        settled = _SETTLEMENTS.c.settled_at
        return list(await self.connection.execute(
            select(_SETTLEMENTS.c.fund_region_code, _SETTLEMENTS.c.hospital_code, func.count(),
                   func.coalesce(func.sum(_ASSISTANCE), 0), func.coalesce(func.sum(_RE_ASSISTANCE), 0))
            .where(_account(_SETTLEMENTS.c.fund_region_code, account), settled >= start, settled < end)
            .group_by(_SETTLEMENTS.c.fund_region_code, _SETTLEMENTS.c.hospital_code)
            .order_by(_SETTLEMENTS.c.fund_region_code, _SETTLEMENTS.c.hospital_code)))

    async def cancellations(self, account: str, start: datetime, end: datetime) -> list[Row]:
        """The settlements cancelled in the month whose draw comes back (a cancellation of one that drew
        nothing moves no money)."""
        cancelled = _SETTLEMENTS.c.cancelled_at
        return list(await self.connection.execute(
            select(_SETTLEMENTS.c.id, _SETTLEMENTS.c.fund_region_code, _SETTLEMENTS.c.hospital_code,
                   _SETTLEMENTS.c.settled_at, cancelled, _ASSISTANCE, _RE_ASSISTANCE)
            .where(_account(_SETTLEMENTS.c.fund_region_code, account), _SETTLEMENTS.c.settled_at < end,
                   cancelled >= start, cancelled < end, (_ASSISTANCE + _RE_ASSISTANCE) > 0)
            .order_by(cancelled, _SETTLEMENTS.c.id)))

    async def balances(self, today: date, now: datetime, window_start: datetime) -> dict[str, tuple[Decimal, Decimal]]:
        """Every district account's (balance, net draw over the window) now: pre-funded up to today,
        less what its settlements drew and did not give back and what approved corrections moved."""
        accounts: dict[str, list[Decimal]] = {}
        for region, amount in await self.connection.execute(
            select(_PRE_FUNDINGS.c.region_code, func.sum(_PRE_FUNDINGS.c.amount))
            .where(_PRE_FUNDINGS.c.funded_on <= today).group_by(_PRE_FUNDINGS.c.region_code)
        ):
            accounts.setdefault(region, [_ZERO, _ZERO])[0] += Decimal(amount)
        settled, cancelled = _SETTLEMENTS.c.settled_at, _SETTLEMENTS.c.cancelled_at
        drawn = _ASSISTANCE + _RE_ASSISTANCE
        decided = _PROPOSALS.c.decided_at
        for query in (  # per account: drawn net, drawn net over the window
            select(_SETTLEMENTS.c.fund_region_code,
                   _sum(settled < now, drawn) - _sum(cancelled < now, drawn),
                   _sum(and_(settled >= window_start, settled < now), drawn)
                   - _sum(and_(cancelled >= window_start, cancelled < now), drawn))
            .where(_SETTLEMENTS.c.fund_region_code.is_not(None), settled.is_not(None)),
            select(_SETTLEMENTS.c.fund_region_code, _sum(decided < now, _CORRECTED),
                   _sum(and_(decided >= window_start, decided < now), _CORRECTED))
            .select_from(_APPROVED_ITEMS)
            .where(_PROPOSALS.c.status == APPROVED, _SETTLEMENTS.c.fund_region_code.is_not(None)),
        ):
            for region, net, recent in await self.connection.execute(query.group_by(_SETTLEMENTS.c.fund_region_code)):
                account = accounts.setdefault(region, [_ZERO, _ZERO])
                account[0] -= Decimal(net)
                account[1] += Decimal(recent)
        return {region: (balance, recent) for region, (balance, recent) in accounts.items()}
