from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.money import Money, PositiveMoney
from shared.types import BusinessDate, plain_text

_FUNDS = {"basic_insurance": "0.00", "critical_illness": "0.00", "special_drugs": "0.00", "large_expense": "0.00"}
_EXAMPLE_ITEM = {
    "position": 1, "settlement_id": "5f0c6d4f2b8e4a7c9d1e3f5a7b9c1d3e", "year": 2023, "discharged_on": "2023-03-20",
    "identity_before": None, "identity_after": "minimum_allowance",
    "funds_before": {**_FUNDS, "basic_insurance": "26520.00", "critical_illness": "4408.00", "assistance": "0.00",
                     "re_assistance": "0.00", "personal_share": "19072.00"},
    "funds_after": {**_FUNDS, "basic_insurance": "26520.00", "critical_illness": "7462.00", "assistance": "8814.40",
                    "re_assistance": "0.00", "personal_share": "7203.60"},
    "differences": {**_FUNDS, "critical_illness": "3054.00", "assistance": "8814.40", "re_assistance": "0.00",
                    "personal_share": "-11868.40"},
    "accumulator_deltas": {"critical_illness_paid": "3054.00", "assistance_base": "11018.00"},
    "trace": [{"rule": "assistance", "label": "医疗救助（低保对象，住院）", "amount": "8814.40"}],
}
_EXAMPLE = {
    "id": "9a1b2c3d4e5f60718293a4b5c6d7e8f9", "id_number": "370602199001011239", "status": "pending",
    "reasons": [{"source": "registry", "event_id": 42, "type": "identity.added", "effective_from": "2023-02-01",
                 "effective_until": None, "settlement_id": None}],
    "years": [2023], "agencies": ["civil_affairs"], "paid_to_person": "11868.40", "payment": None,
    "created_at": "2023-04-02T02:00:00Z", "superseded_by": None, "decision": None, "payment_record": None,
    "items": [_EXAMPLE_ITEM],
    "history": [{"at": "2023-04-02T02:00:00Z", "actor": "worker", "action": "proposed",
                 "reason": "registry#42 identity.added"}],
}
_RECORD_EXAMPLE = {"done_on": "2023-04-12", "reference": "MZ-BF-2023-0412-01", "note": "转入社保卡金融账户",
                   "recorded_at": "2023-04-12T03:20:00Z", "recorded_by": "agency-yantai-mz",
                   "agency": "civil_affairs"}
_PERSON_PAYMENT_EXAMPLE = {
    "proposal_id": "9a1b2c3d4e5f60718293a4b5c6d7e8f9", "id_number": "370602********1239", "kind": "pay",
    "amount": "11868.40", "assistance_difference": "8814.40", "re_assistance_difference": "0.00",
    "decided_at": "2023-04-10T02:00:00Z", "decided_by_agency": "civil_affairs", "status": "paid",
    "record": _RECORD_EXAMPLE,
}


class ProposalItem(BaseModel):
    position: int = Field(description="出院顺序 (discharge order, from 1)")
    settlement_id: str
    year: int
    discharged_on: date
    identity_before: str | None = Field(description="原适用身份 (identity applied as settled or last corrected)")
    identity_after: str | None = Field(description="重算适用身份 (identity applied by the replay)")
    funds_before: dict[str, Money] = Field(description="原各项基金与个人自付 (the figures now)")
    funds_after: dict[str, Money] = Field(description="重算后 (as replayed)")
    differences: dict[str, Money] = Field(description="差额（重算 − 原），到分 (after − before, to the fen)")
    accumulator_deltas: dict[str, Money] = Field(
        description="批准时记入台账的调整 (what approval books, per accumulator)")
    trace: list[dict[str, Any]] = Field(description="重算轨迹 (the replay's trace)")


class Decision(BaseModel):
    decided_at: datetime
    decided_by: str = Field(description="令牌主体 (the token subject)")
    agency: str | None
    reason: str
    payment: Literal["pay", "recover", "none"] | None = Field(
        description="批准时：pay 应补付参保人，recover 应追回，none 无 (on approval: pay the person, recover, nothing)")


class HistoryEntry(BaseModel):
    at: datetime
    actor: str
    action: str = Field(description="proposed / superseded / approved / rejected / paid / recovered")
    reason: str | None


class PaymentRecord(BaseModel):
    """The agency's record that an approved proposal's money was paid to the person or recovered."""

    done_on: date = Field(description="支付或追回到账日期 (the day the person was paid, or the money came back)")
    reference: str = Field(description="支付或缴回凭证号 (the transfer's reference)")
    note: str | None
    recorded_at: datetime
    recorded_by: str = Field(description="令牌主体 (the token subject)")
    agency: str


class PaymentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"amount": "11868.40", "done_on": "2023-04-12", "reference": "MZ-BF-2023-0412-01",
         "note": "转入社保卡金融账户"}]})

    amount: PositiveMoney = Field(description="金额，须等于应补付或应追回金额（个人自付差额的绝对值） "
                          "(must equal what is due: the personal shares' difference, without its sign)")
    done_on: BusinessDate = Field(description="支付或追回到账日期，不早于批准日、不晚于今天 (between the approval"
                                  " and today)")
    reference: plain_text(64) = Field(description="支付或缴回凭证号 (the transfer's reference)")  # type: ignore[valid-type]
    note: plain_text(200) | None = Field(default=None, description="摘要 (a note)")  # type: ignore[valid-type]


class PersonPayment(BaseModel):
    """What an approved proposal leaves to pay to the person or to recover from them, and its record."""

    model_config = ConfigDict(json_schema_extra={"examples": [_PERSON_PAYMENT_EXAMPLE]})

    proposal_id: str
    id_number: str = Field(description="脱敏身份证号，pii:read 可见全号 (masked unless the token holds pii:read)")
    kind: Literal["pay", "recover"] = Field(description="pay 补付参保人，recover 向参保人追回")
    amount: Money = Field(description="应补付或应追回金额：个人自付差额的绝对值 (the personal shares' difference)")
    assistance_difference: Money = Field(
        description="其中医疗救助差额（计入批准月清算表） (of which assistance: in the approval month's clearing)")
    re_assistance_difference: Money = Field(description="其中再救助差额 (of which re-assistance)")
    decided_at: datetime
    decided_by_agency: str | None
    status: Literal["due", "paid", "recovered"]
    record: PaymentRecord | None


class PersonPayments(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [_PERSON_PAYMENT_EXAMPLE]}]})

    items: list[PersonPayment]


class Proposal(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    id: str
    id_number: str
    status: Literal["pending", "approved", "rejected", "superseded"]
    reasons: list[dict[str, Any]] = Field(description="所依据的变更事件 (the change events it follows)")
    years: list[int]
    agencies: list[str] = Field(description="可处理的部门 (the agencies that may decide)")
    paid_to_person: Money = Field(
        description="个人自付差额：正数应付参保人，负数应追回 (>0 pay the person, <0 recover)")
    payment: Literal["pay", "recover", "none"] | None
    created_at: datetime
    superseded_by: str | None
    decision: Decision | None
    payment_record: PaymentRecord | None = Field(
        description="补付或追回的登记；未登记为空 (the record of the money paid or recovered; none yet: null)")
    items: list[ProposalItem]
    history: list[HistoryEntry]


class Proposals(BaseModel):
    items: list[Proposal]


class DecisionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"decision": "approve", "reason": "经核实，低保身份自2023年2月起有效 (verified: 低保 from February)"}]})

    decision: Literal["approve", "reject"]
    reason: plain_text(500) = Field(description="理由 (why)")  # type: ignore[valid-type]

