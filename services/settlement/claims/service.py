"""A hospital's claim period, from open to paid. Each write path is one unit of work: one transaction
that checks, writes and audits the change, or writes nothing."""

import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from prometheus_client import CollectorRegistry, Gauge
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from services.settlement import lookups
from services.settlement.audit.repository import StateChangeRepository
from services.settlement.claims.document import PRINTED_LINES, ClaimContents, RejectedAmount
from services.settlement.claims.repository import ADJUSTMENT, ClaimRepository
from services.settlement.claims.rules import (
    Payee,
    PeriodRule,
    Status,
    due_on,
    instants,
    is_over,
    is_past_due,
    period_of,
    rule_for,
)
from services.settlement.claims.schemas import (
    ChecklistItem,
    ClaimLine,
    ClaimPeriod,
    Closing,
    FundSum,
    PeriodOpening,
    RejectedLine,
    Review,
)
from services.settlement.claims.schemas import Payment as PaymentBody
from services.settlement.reconciliation.repository import latest_for_range
from services.settlement.settlements.funds import FUND_LABELS
from services.settlement.settlements.service import SettlementFlow
from shared.auth import Principal, Role, ensure_hospital_access
from shared.categories import Agency
from shared.clock import SHANGHAI, today
from shared.db import Database
from shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from shared.money import ZERO

ENTITY = "claim_period"


class ClaimGauges:
    """`assistance_claims_past_due`: the claims (closed, reviewed or approved periods) unpaid past
    their due date, the same as `GET /v1/claim-periods?past_due=true` lists; recomputed by a
    background task (`refresh`), never on a request."""

    def __init__(self, registry: CollectorRegistry, database: Database) -> None:
        self.database = database
        self.past_due = Gauge("assistance_claims_past_due", "Claims unpaid past their due date", registry=registry)

    async def refresh(self) -> None:
        async with self.database.autocommit.connect() as connection:
            self.past_due.set(await ClaimRepository(connection).past_due_count(today()))


def period_not_found() -> NotFound:
    return NotFound("未找到该结算期间 (no such claim period)", code="claim_period_not_found")


def no_period_rule() -> Unprocessable:
    return Unprocessable("该医院所在统筹区没有适用的申报期间规定 (no claim period rule for the hospital's region "
                         "on that day)", code="no_claim_period_rule")


def period_in_future() -> Unprocessable:
    return Unprocessable("期间尚未开始 (the period has not begun)", code="claim_period_in_future")


def already_closed() -> Conflict:
    return Conflict("该期间已关账，申报不可更改 (the period is already closed; its claim never changes)",
                    code="claim_period_already_closed")


def not_over() -> Conflict:
    return Conflict("期间尚未结束，不能关账 (the period has not ended yet)", code="claim_period_not_over")


def earlier_open() -> Conflict:
    return Conflict("该医院更早的期间尚未关账 (an earlier period of the hospital is still open: close it first)",
                    code="earlier_claim_period_open")


def settling() -> Conflict:
    return Conflict("期间内仍有结算正在进行，请稍后再关账 (settlements begun in the period are still in progress)",
                    code="settlements_in_progress", headers={"Retry-After": "5"})


def not_reconciled() -> Conflict:
    return Conflict("期间最近一次对账未平，不能关账（运维可注明理由越过） (the period's last reconciliation did not "
                    "match, or there was none: only ops may close it, with a reason)",
                    code="claim_period_not_reconciled")


def override_needs_ops() -> Forbidden:
    return Forbidden("越过对账核对关账仅限运维 (only ops may close past the reconciliation gate)",
                     code="override_needs_ops")


def no_claim_yet() -> Conflict:
    return Conflict("期间尚未关账，尚无申报表 (the period is not closed: it has no claim yet)", code="claim_not_closed")


def not_closed() -> Conflict:
    return Conflict("期间尚未关账，不能审核 (the period is not closed: nothing to review)", code="claim_not_closed")


def already_reviewed() -> Conflict:
    return Conflict("该申报已审核 (the claim is already reviewed)", code="claim_already_reviewed")


def not_reviewed() -> Conflict:
    return Conflict("该申报尚未审核，不能审批 (the claim is not reviewed yet)", code="claim_not_reviewed")


def already_approved() -> Conflict:
    return Conflict("该申报已审批 (the claim is already approved)", code="claim_already_approved")


def not_approved() -> Conflict:
    return Conflict("该申报尚未审批，不能拨付 (the claim is not approved: it cannot be paid)",
                    code="claim_not_approved")


def already_paid() -> Conflict:
    return Conflict("该申报已拨付 (the claim is already paid)", code="claim_already_paid")


def line_not_in_claim() -> Unprocessable:
    return Unprocessable("拒付的结算不在本次申报中 (a rejected settlement is not a line of this claim)",
                         code="claim_line_not_found")


def amount_mismatch() -> Unprocessable:
    return Unprocessable("拨付金额与审批金额不符 (the amount paid must equal the approved amount)",
                         code="payment_amount_mismatch")


def payee_not_allowed() -> Unprocessable:
    return Unprocessable("该统筹区不允许此收款方 (the region's rule does not pay this payee)", code="payee_not_allowed")


def paid_on_out_of_range() -> Unprocessable:
    return Unprocessable("拨付日期须在关账日与今天之间 (paid_on must be between the close and today)",
                         code="paid_on_out_of_range")


def not_civil_affairs() -> Forbidden:
    return Forbidden("仅民政部门审核、审批与登记拨付 (only civil affairs reviews, approves and records payment)",
                     code="agency_not_allowed")


def ensure_civil_affairs(principal: Principal) -> None:
    """Civil affairs reviews, approves and records payment (台民字〔2017〕26号 五（三）2); ops administers."""
    if principal.role is Role.AGENCY and principal.agency != Agency.CIVIL_AFFAIRS:
        raise not_civil_affairs()


def _snapshot(row: Row) -> dict[str, Any]:
    """What the audit keeps of a period: its status and the figures of its current step."""
    keep = ("status", "settlements_count", "adjustments_count", "total", "payable", "close_override_reason",
            "review_outcome", "rejected_amount", "approved_amount", "paid_amount", "paid_on", "payment_reference",
            "payee")
    return {name: str(row._mapping[name]) for name in keep if row._mapping[name] is not None}


class ClaimService:
    def __init__(self, database: Database, flow: SettlementFlow) -> None:
        self.database = database
        self.flow = flow  # its catalog client and hospital cache: the hospital's district

    async def open(self, body: PeriodOpening, principal: Principal) -> tuple[ClaimPeriod, bool]:
        """(the period containing `body.on`, whether it was opened now): opened once, found after."""
        ensure_hospital_access(principal, body.hospital_code, code="hospital_not_found")
        if body.on > today():
            raise period_in_future()
        hospital = await lookups.designated_hospital(self.flow.peers, body.hospital_code, body.on, self.flow.hospitals)
        async with self.database.engine.begin() as connection:
            claims = ClaimRepository(connection)
            rules = await claims.rules()
            rule = rule_for(list(rules.values()), hospital["region"]["code"], body.on)
            if rule is None:
                raise no_period_rule()
            starts_on, ends_on = period_of(rule, body.on)
            period_id, now = uuid.uuid4().hex, datetime.now(UTC)
            if await claims.add_period(
                id=period_id, hospital_code=body.hospital_code, rule_id=rule.id, starts_on=starts_on,
                ends_on=ends_on, status=Status.OPEN, opened_at=now, opened_by=principal.subject,
            ):
                return await self._audited(connection, period_id, principal, "open", None, now), True
            existing = await claims.period_starting(body.hospital_code, starts_on)
            assert existing is not None, "the insert found it"
            return await self._view(connection, existing), False

    async def close(self, period_id: str, body: Closing, principal: Principal) -> ClaimPeriod:
        """Freeze the claim: the period's settlements and the deductions for earlier claims' settlements
        cancelled since, their counts and sums, in one transaction."""
        if body.override_reason is not None and principal.role is not Role.OPS:
            raise override_needs_ops()
        async with self.database.engine.begin() as connection:
            claims = ClaimRepository(connection)
            row = await self._row(connection, period_id, principal, lock=True)
            if row.status != Status.OPEN:
                raise already_closed()
            if not is_over(row.ends_on, today()):
                raise not_over()
            if await claims.earlier_open(row.hospital_code, row.starts_on):
                raise earlier_open()
            # The gate: the latest reconciliation of exactly the period's days matched (reconciliation/).
            last = await latest_for_range(connection, row.hospital_code, row.starts_on, row.ends_on)
            if (last is None or not last.matched) and body.override_reason is None:
                raise not_reconciled()
            start, end = instants(row.starts_on, row.ends_on)
            now = datetime.now(UTC)
            if await claims.settling(row.hospital_code, end, now):
                raise settling()
            await claims.claim_settlements(period_id, row.hospital_code, start, end)
            await claims.claim_adjustments(period_id, row.hospital_code)
            sums = await claims.sums(period_id)
            await claims.add_funds(period_id, {fund: sums[fund] for fund in FUND_LABELS})
            rule = (await claims.rules())[row.rule_id]
            await claims.move(
                period_id, Status.OPEN, status=Status.CLOSED, closed_at=now, closed_by=principal.subject,
                close_override_reason=body.override_reason, due_on=due_on(rule, row.ends_on),
                settlements_count=sums["settlements_count"], adjustments_count=sums["adjustments_count"],
                total=sums["total"], payable=sums["payable"],
                documents=json.dumps([{"code": c, "label": label} for c, label in rule.documents], ensure_ascii=False),
            )
            return await self._audited(connection, period_id, principal, "close", row, now)

    async def review(self, period_id: str, body: Review, principal: Principal) -> ClaimPeriod:
        ensure_civil_affairs(principal)
        reasons = {rejection.settlement_id: rejection.reason for rejection in body.rejections}
        async with self.database.engine.begin() as connection:
            claims = ClaimRepository(connection)
            row = await self._row(connection, period_id, principal, lock=True)
            if row.status == Status.OPEN:
                raise not_closed()
            if row.status != Status.CLOSED:
                raise already_reviewed()
            payable = await claims.settlement_lines(period_id, list(reasons)) if reasons else {}
            if len(payable) != len(reasons):
                raise line_not_in_claim()
            if reasons:
                await claims.add_rejections(period_id, reasons)
            now = datetime.now(UTC)
            await claims.move(
                period_id, Status.CLOSED, status=Status.REVIEWED, reviewed_at=now, reviewed_by=principal.subject,
                review_outcome="partly_rejected" if reasons else "passed", review_note=body.note,
                rejected_amount=sum(payable.values(), start=ZERO),
            )
            return await self._audited(connection, period_id, principal, "review", row, now)

    async def approve(self, period_id: str, principal: Principal) -> ClaimPeriod:
        """The approved amount is the claim's payable less its rejected lines: computed, never typed."""
        ensure_civil_affairs(principal)
        async with self.database.engine.begin() as connection:
            row = await self._row(connection, period_id, principal, lock=True)
            if row.status in (Status.APPROVED, Status.PAID):
                raise already_approved()
            if row.status != Status.REVIEWED:
                raise not_reviewed()
            now = datetime.now(UTC)
            await ClaimRepository(connection).move(
                period_id, Status.REVIEWED, status=Status.APPROVED, approved_at=now, approved_by=principal.subject,
                approved_amount=row.payable - row.rejected_amount)
            return await self._audited(connection, period_id, principal, "approve", row, now)

    async def pay(self, period_id: str, body: PaymentBody, principal: Principal) -> ClaimPeriod:
        ensure_civil_affairs(principal)
        async with self.database.engine.begin() as connection:
            claims = ClaimRepository(connection)
            row = await self._row(connection, period_id, principal, lock=True)
            if row.status == Status.PAID:
                raise already_paid()
            if row.status != Status.APPROVED:
                raise not_approved()
            if body.amount != row.approved_amount:
                raise amount_mismatch()
            if body.payee not in (await claims.rules())[row.rule_id].payees:
                raise payee_not_allowed()
            if body.paid_on > today() or body.paid_on < row.closed_at.astimezone(SHANGHAI).date():
                raise paid_on_out_of_range()
            now = datetime.now(UTC)
            await claims.move(
                period_id, Status.APPROVED, status=Status.PAID, paid_on=body.paid_on, paid_amount=body.amount,
                payment_reference=body.reference, payee=body.payee, paid_by=principal.subject)
            return await self._audited(connection, period_id, principal, "pay", row, now)

    async def get(self, period_id: str, principal: Principal) -> ClaimPeriod:
        async with self.database.autocommit.connect() as connection:
            return await self._view(connection, await self._row(connection, period_id, principal))

    async def lines(self, period_id: str, principal: Principal, *, limit: int, offset: int) -> list[ClaimLine]:
        async with self.database.autocommit.connect() as connection:
            await self._row(connection, period_id, principal)
            rows = await ClaimRepository(connection).lines(period_id, limit=limit, offset=offset)
        return [_line(row) for row in rows]

    async def contents(self, period_id: str, principal: Principal, *, printout: bool) -> ClaimContents:
        """The frozen claim as a download shows it (claims/document.py): every line for the workbook,
        the adjustments up to one past the printed limit for the printout. 409 before the close."""
        async with self.database.autocommit.connect() as connection:
            row = await self._row(connection, period_id, principal)
            if row.status == Status.OPEN:
                raise no_claim_yet()
            claims = ClaimRepository(connection)
            rejections = await claims.rejections(period_id)  # read once: the claim's view and its rejected amounts
            claim = await self._view(connection, row, rejections)
            rejected = [RejectedAmount(r.settlement_id, r.his_serial, r.payable, r.reason) for r in rejections]
            lines = await (claims.lines(period_id, limit=PRINTED_LINES + 1, kind=ADJUSTMENT) if printout
                           else claims.lines(period_id, limit=None))
            kinds = await claims.sums_by_kind(period_id)
        return ClaimContents(claim=claim, kinds=kinds, rejected=rejected, lines=[_line(line) for line in lines],
                             generated_at=datetime.now(UTC))

    async def listing(
        self, principal: Principal, *, hospital_code: str | None, status: Status | None, past_due: bool,
    ) -> list[ClaimPeriod]:
        """A HIS lists its own hospital's periods only, whatever it asks."""
        if principal.role is Role.HIS:
            hospital_code = principal.hospital_code
        async with self.database.autocommit.connect() as connection:
            claims = ClaimRepository(connection)
            rows = await claims.listing(
                hospital_code=hospital_code, status=status, past_due_on=today() if past_due else None)
            rules, funds = await claims.rules(), await claims.funds_of([row.id for row in rows])
            return [view(row, rules, funds.get(row.id, {}), []) for row in rows]

    @staticmethod
    async def _row(connection: AsyncConnection, period_id: str, principal: Principal, *, lock: bool = False) -> Row:
        row = await ClaimRepository(connection).period(period_id, lock=lock)
        if row is None:
            raise period_not_found()
        ensure_hospital_access(principal, row.hospital_code, code="claim_period_not_found")
        return row

    @staticmethod
    async def _audited(
        connection: AsyncConnection, period_id: str, principal: Principal, action: str, before: Row | None,
        at: datetime,
    ) -> ClaimPeriod:
        """The period as the change left it, the change audited in the same transaction."""
        after = await ClaimRepository(connection).period(period_id)
        assert after is not None, "written in this transaction"
        await StateChangeRepository(connection).record(
            at=at, actor=principal.subject, action=action, entity=ENTITY, entity_key=period_id,
            before=None if before is None else _snapshot(before), after=_snapshot(after))
        return await ClaimService._view(connection, after)

    @staticmethod
    async def _view(connection: AsyncConnection, row: Row, rejections: list[Row] | None = None) -> ClaimPeriod:
        """One period with its fund sums and the lines its review rejected (read here unless given)."""
        claims = ClaimRepository(connection)
        if row.review_outcome != "partly_rejected":
            rejections = []
        elif rejections is None:
            rejections = await claims.rejections(row.id)
        return view(row, await claims.rules(), await claims.funds(row.id), rejections)


def view(row: Row, rules: dict[str, PeriodRule], funds: dict[str, Decimal], rejections: list[Row]) -> ClaimPeriod:
    rule = rules[row.rule_id]
    return ClaimPeriod(
        id=row.id, hospital_code=row.hospital_code, starts_on=row.starts_on, ends_on=row.ends_on,
        status=Status(row.status), rule=rule.id, rule_source=rule.source, opened_at=row.opened_at,
        opened_by=row.opened_by, closed_at=row.closed_at, closed_by=row.closed_by,
        close_override_reason=row.close_override_reason, due_on=row.due_on,
        past_due=is_past_due(Status(row.status), row.due_on, today()),
        settlements_count=row.settlements_count, adjustments_count=row.adjustments_count, total=row.total,
        funds=[FundSum(fund=name, label=FUND_LABELS[name][0], amount=funds[name])
               for name in FUND_LABELS if name in funds],
        payable=row.payable,
        documents=[ChecklistItem.model_validate(d) for d in json.loads(row.documents or "[]")],
        reviewed_at=row.reviewed_at, reviewed_by=row.reviewed_by, review_outcome=row.review_outcome,
        review_note=row.review_note, rejected_amount=row.rejected_amount,
        rejections=[RejectedLine(settlement_id=r.settlement_id, his_serial=r.his_serial, reason=r.reason)
                    for r in rejections],
        approved_at=row.approved_at, approved_by=row.approved_by, approved_amount=row.approved_amount,
        paid_on=row.paid_on, paid_amount=row.paid_amount, payment_reference=row.payment_reference,
        payee=Payee(row.payee) if row.payee else None, paid_by=row.paid_by,
    )


def _line(row: Row) -> ClaimLine:
    return ClaimLine(
        kind=row.kind, settlement_id=row.id, his_serial=row.his_serial, settled_at=row.settled_at,
        cancelled_at=row.cancelled_at, total=_signed(row.kind, row.total),
        funds={name: _signed(row.kind, row._mapping[name]) for name in FUND_LABELS},
        rejected_reason=row.rejected_reason,
    )


def _signed(kind: str, amount: Any) -> Any:
    value = amount if amount is not None else 0
    return -value if kind == ADJUSTMENT else value
