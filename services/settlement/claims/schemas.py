from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from services.settlement.claims.rules import Payee, Status
from shared.money import Money
from shared.types import BusinessDate, HospitalCode, plain_text

Reason = plain_text(200)


class PeriodOpening(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"hospital_code": "060001", "on": "2026-10-15"}]})

    hospital_code: HospitalCode = Field(description="定点医疗机构编码 (the hospital)")
    on: BusinessDate = Field(description="期间内任一日 (any day of the period; the region's rule gives its bounds)")


class Closing(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{}]})

    override_reason: Reason | None = Field(  # type: ignore[valid-type]
        default=None, description="最近一次对账未平（或未对账）时运维关账的理由，仅限运维 (ops only: why the period "
        "closes although its latest reconciliation did not match, or there was none)")


class Rejection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    settlement_id: str = Field(pattern=r"^[0-9a-f]{32}$")
    reason: Reason = Field(description="退回医院的理由 (why the line goes back to the hospital)")  # type: ignore[valid-type]


class Review(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"rejections": [], "note": "材料齐全，审核通过"}]})

    rejections: list[Rejection] = Field(default_factory=list, max_length=1000,
                                        description="拒付的结算明细 (lines refused, each with its reason)")
    note: Reason | None = None  # type: ignore[valid-type]


class Payment(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"amount": "8814.40", "paid_on": "2026-11-20", "reference": "CZ-2026-11-0001", "payee": "hospital"}]})

    amount: Money = Field(description="拨付金额，须等于审批金额；负数为医院退回冲减 (must equal the approved amount; "
                          "negative when the deductions exceed the claim: the hospital pays back)")
    paid_on: BusinessDate = Field(description="拨付日期 (payment date)")
    reference: plain_text(64) = Field(description="支付凭证号 (payment reference)")  # type: ignore[valid-type]
    payee: Payee = Field(default=Payee.HOSPITAL, description="收款方：定点医院，或救助人员存折（台儿庄镇（街）渠道）")


class FundSum(BaseModel):
    fund: str = Field(description="settlements' fund name, e.g. assistance")
    label: str
    amount: Money


class ChecklistItem(BaseModel):
    code: str
    label: str


class RejectedLine(BaseModel):
    settlement_id: str
    his_serial: str
    reason: str


class ClaimPeriod(BaseModel):
    """A hospital's claim period and, once closed, its claim (申报, like NHSA 3203): frozen figures."""

    id: str
    hospital_code: str
    starts_on: date
    ends_on: date
    status: Status
    rule: str = Field(description="the period rule it follows (claim_period_rules)")
    rule_source: str = Field(description="依据 (the document the rule comes from)")
    opened_at: datetime
    opened_by: str
    closed_at: datetime | None
    closed_by: str | None
    close_override_reason: str | None
    due_on: date | None = Field(description="拨付期限 (to be paid by this day)")
    past_due: bool
    settlements_count: int | None = Field(description="结算笔数 (settlements in the claim)")
    adjustments_count: int | None = Field(description="冲减笔数 (earlier settlements cancelled since, deducted)")
    total: Money | None = Field(description="医疗费用总额，已冲减 (total cost, adjustments deducted)")
    funds: list[FundSum] = Field(description="各基金支付合计，已冲减 (each fund's sum, adjustments deducted)")
    payable: Money | None = Field(description="申报拨付：医疗救助+再救助 (claimed back: the assistance fund)")
    documents: list[ChecklistItem] = Field(description="报送材料清单 (the report's document checklist)")
    reviewed_at: datetime | None
    reviewed_by: str | None
    review_outcome: str | None = Field(description="passed / partly_rejected")
    review_note: str | None
    rejected_amount: Money | None
    rejections: list[RejectedLine]
    approved_at: datetime | None
    approved_by: str | None
    approved_amount: Money | None
    paid_on: date | None
    paid_amount: Money | None
    payment_reference: str | None
    payee: Payee | None
    paid_by: str | None


class ClaimPeriods(BaseModel):
    items: list[ClaimPeriod]


class ClaimLine(BaseModel):
    kind: str = Field(description="settlement, or adjustment (a cancellation deducted: amounts negative)")
    settlement_id: str
    his_serial: str
    settled_at: datetime | None
    cancelled_at: datetime | None
    total: Money
    funds: dict[str, Money]
    rejected_reason: str | None


class ClaimLines(BaseModel):
    items: list[ClaimLine]
    offset: int
    limit: int
