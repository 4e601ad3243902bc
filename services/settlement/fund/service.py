"""The fund flow's write path (a pre-funding: one transaction) and its reads (the monthly clearing
statement and the balances, derived from the pre-fundings and the settlements by query), and the
balance gauges on /metrics."""

import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from prometheus_client import CollectorRegistry, Gauge
from sqlalchemy import Row

from services.settlement.fund.repository import FundRepository
from services.settlement.fund.rules import Cover, Standing, cover, in_account, is_city, month_of
from services.settlement.fund.schemas import (
    Balance,
    Balances,
    Cancellation,
    ClearingStatement,
    CorrectionLine,
    HospitalDraw,
    PreFunding,
    PreFundingRequest,
    PreFundings,
    Warning,
)
from shared.auth import Principal
from shared.clock import today
from shared.db import Database
from shared.errors import Conflict, NotFound, Unprocessable
from shared.http_client import ServiceClient
from shared.types import FIRST_DAY, LAST_DAY

log = logging.getLogger(__name__)

Regions = Callable[[], Awaitable[dict[str, str]]]
"""The fund's accounts: the city's code and its districts' (市直 included), each with its name."""


def catalog_regions(catalog: ServiceClient, city: str) -> Regions:
    """The city and its districts as the catalog has them, asked once (they change by migration)."""
    known: dict[str, str] = {}

    async def regions() -> dict[str, str]:
        if not known:
            detail = await catalog.get(f"/v1/regions/{city}")
            known.update({detail["code"]: detail["name"]} | {c["code"]: c["name"] for c in detail["children"]})
        return known

    return regions


def region_unknown(code: str = "370699") -> Unprocessable:
    return Unprocessable(f"{code} 不是本市或本市的区县市 (not the city or one of its districts)",
                         code="fund_region_unknown")


def account_not_found(code: str = "370699") -> NotFound:
    return NotFound(f"无此资金账户 {code} (no such account: the city or one of its districts)",
                    code="fund_account_not_found")


def funded_in_future() -> Unprocessable:
    return Unprocessable("到账日期晚于今天 (funded_on is after today)", code="funded_on_in_future")


def duplicate_reference() -> Conflict:
    return Conflict("该拨款凭证号已录入 (this reference is already recorded)", code="pre_funding_duplicate")


def _pre_funding(row: Row) -> PreFunding:
    return PreFunding(id=row.id, region_code=row.region_code, amount=row.amount, funded_on=row.funded_on,
                      reference=row.reference, note=row.note, recorded_at=row.recorded_at,
                      recorded_by=row.recorded_by)


class FundGauges:
    """Per account: its balance, days of cover and whether it is warned (1) or not (0)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.balance = Gauge("assistance_fund_balance_yuan", "Pre-funded less drawn (yuan), per account",
                             ["region"], registry=registry)
        self.days = Gauge("assistance_fund_days_of_cover", "Days the balance lasts at the recent daily draw "
                          "(+Inf when nothing was drawn)", ["region"], registry=registry)
        self.warned = Gauge("assistance_fund_low", "1 when the balance is low or negative, else 0",
                            ["region"], registry=registry)

    def show(self, items: list[Balance]) -> None:
        for item in items:
            self.balance.labels(item.region_code).set(float(item.balance))
            days = item.warning.days_of_cover
            self.days.labels(item.region_code).set(float("inf") if days is None else float(days))
            self.warned.labels(item.region_code).set(0 if item.warning.standing == Standing.OK else 1)


class FundService:
    def __init__(self, database: Database, regions: Regions, *, threshold_days: Decimal, window_days: int,
                 gauges: FundGauges | None = None) -> None:
        """`threshold_days`, `window_days`: SETTLEMENT_FUND_LOW_DAYS_OF_COVER,
        SETTLEMENT_FUND_DRAW_WINDOW_DAYS."""
        self.database = database
        self.regions = regions
        self.threshold = threshold_days
        self.window = window_days
        self.gauges = gauges

    async def record(self, request: PreFundingRequest, principal: Principal) -> PreFunding:
        if request.region_code not in await self.regions():
            raise region_unknown(request.region_code)
        if request.funded_on > today():
            raise funded_in_future()
        async with self.database.engine.begin() as connection:
            repository = FundRepository(connection)
            if not await repository.add(
                id=uuid.uuid4().hex, recorded_at=datetime.now(UTC), recorded_by=principal.subject,
                **request.model_dump(),
            ):
                raise duplicate_reference()
            row = await repository.by_reference(request.reference)
        log.info("pre-funding %s recorded", row.id, extra={"fields": {
            "region_code": row.region_code, "amount": str(row.amount), "reference": row.reference,
            "actor": principal.subject}})
        await self.refresh_gauges()
        return _pre_funding(row)

    async def listing(self, account: str) -> PreFundings:
        """Every pre-funding the account holds (the city's: all of them), oldest first."""
        await self._account_name(account)
        async with self.database.autocommit.connect() as connection:
            rows = await FundRepository(connection).pre_fundings(account, FIRST_DAY, LAST_DAY)
        return PreFundings(items=[_pre_funding(row) for row in rows])

    async def _account_name(self, account: str) -> str:
        name = (await self.regions()).get(account)
        if name is None:
            raise account_not_found(account)
        return name

    async def statement(self, account: str, month_text: str) -> ClearingStatement:
        name = await self._account_name(account)
        month = month_of(month_text, today())
        now = datetime.now(UTC)
        start, end = month.bounds()
        to_date = end > now
        end = min(end, now)
        async with self.database.autocommit.connect() as connection:
            repository = FundRepository(connection)
            pre_funded_before = await repository.pre_funded_before(account, month.first_day)
            pre_fundings = await repository.pre_fundings(account, month.first_day, month.last_day)
            window_start = end - timedelta(days=self.window)
            draws = await repository.draws(account, start, end, window_start)
            corrected = await repository.corrected(account, start, end, window_start)
            hospitals = await repository.by_hospital(account, start, end)
            cancellations = await repository.cancellations(account, start, end)
            corrections = await repository.corrections(account, start, end)
        opening = pre_funded_before - draws.drawn_before + draws.returned_before - corrected.net_before
        pre_funded = sum((row.amount for row in pre_fundings), Decimal("0.00"))
        drawn = draws.assistance + draws.re_assistance
        closing = opening + pre_funded - drawn + draws.returned - corrected.paid + corrected.recovered
        return ClearingStatement(
            region_code=account, region_name=name, month=str(month), first_day=month.first_day,
            last_day=month.last_day, to_date=to_date, opening_balance=opening, pre_funded=pre_funded,
            drawn_assistance=draws.assistance, drawn_re_assistance=draws.re_assistance, drawn=drawn,
            adjustments=draws.returned, corrections_paid=corrected.paid, corrections_recovered=corrected.recovered,
            closing_balance=closing, settlements=draws.settled, cancellations_count=draws.cancelled,
            warning=self._warning(cover(closing, draws.drawn_in_window + corrected.net_in_window, self.window,
                                        self.threshold)),
            pre_fundings=[_pre_funding(row) for row in pre_fundings],
            by_hospital=[HospitalDraw(region_code=region, hospital_code=hospital, settlements=count,
                                      assistance=assistance, re_assistance=re_assistance,
                                      total=assistance + re_assistance)
                         for region, hospital, count, assistance, re_assistance in hospitals],
            cancellations=[Cancellation(settlement_id=row.id, region_code=row.fund_region_code,
                                        hospital_code=row.hospital_code, settled_at=row.settled_at,
                                        cancelled_at=row.cancelled_at, returned=row[5] + row[6])
                           for row in cancellations],
            corrections=[CorrectionLine(proposal_id=row.proposal_id, settlement_id=row.settlement_id,
                                        region_code=row.fund_region_code, hospital_code=row.hospital_code,
                                        decided_at=row.decided_at, assistance=row.assistance_difference,
                                        re_assistance=row.re_assistance_difference,
                                        total=row.assistance_difference + row.re_assistance_difference)
                         for row in corrections],
            generated_at=now,
        )

    def _warning(self, found: Cover) -> Warning:
        message = None
        if found.standing == Standing.NEGATIVE:
            message = "预警：预拨资金已透支，结算照常进行，请及时预拨 (overdrawn: settlements go on; pre-fund now)"
        elif found.standing == Standing.LOW:
            message = (f"预警：按近{self.window}日日均支出，余额仅够支付 {found.days_of_cover} 天"
                       f"（阈值 {self.threshold} 天） (low: {found.days_of_cover} days of cover, threshold"
                       f" {self.threshold})")
        return Warning(standing=found.standing, days_of_cover=found.days_of_cover, threshold_days=self.threshold,
                       window_days=self.window, message=message)

    async def balances(self) -> Balances:
        """Every account of the city now (the city's own: the whole fund), warned as a statement is."""
        accounts = await self.regions()
        now = datetime.now(UTC)
        async with self.database.autocommit.connect() as connection:
            found = await FundRepository(connection).balances(today(), now, now - timedelta(days=self.window))
        items = []
        for account in sorted(accounts):
            held = [figures for region, figures in found.items() if in_account(region, account)]
            if not held and not is_city(account):
                continue  # a district with no pre-funding and no draw has no account to show
            balance = sum((b for b, _ in held), Decimal("0.00"))
            drawn = sum((d for _, d in held), Decimal("0.00"))
            items.append(Balance(region_code=account, balance=balance, drawn_in_window=drawn,
                                 warning=self._warning(cover(balance, drawn, self.window, self.threshold))))
        return Balances(items=items)

    async def refresh_gauges(self) -> None:
        """Best effort: a gauge left a minute old is better than a failed pre-funding or a dead loop."""
        if self.gauges is None:
            return
        try:
            self.gauges.show((await self.balances()).items)
        except Exception as exc:  # the catalog or the database not reachable yet: the next round
            log.warning("fund balance gauges not refreshed: %s: %s", type(exc).__name__, exc)

