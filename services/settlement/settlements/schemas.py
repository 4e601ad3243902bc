from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, WithJsonSchema, model_validator
from pydantic_core import PydanticCustomError

from shared.categories import Category, InsuranceType, MedicalType
from shared.clock import today
from shared.contracts.calculation import (
    EXAMPLE_1_TRACE,
    EXAMPLE_1_YEAR_TO_DATE_AFTER,
    Bill,
    CauseCode,
    DiseaseClass,
    TraceStep,
    YearToDate,
)
from shared.contracts.items import ItemCategory, ItemizedBill
from shared.id_number import IdNumberStr
from shared.id_number import parse as parse_id_number
from shared.money import Money
from shared.types import BusinessDate, HospitalCode, printable

HisSerial = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")]


class SettlementRequest(BaseModel):
    """A discharge settlement as the HIS posts it. `his_serial` is the idempotency key (per hospital)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "his_serial": "ZY20230320-0001", "hospital_code": "060001", "id_number": "370602199001011239",
        "insurance_type": "resident", "medical_type": "inpatient",
        "admitted_on": "2023-03-01", "discharged_on": "2023-03-20",
        "bill": {"total": "50000", "full_self_pay": "3000", "pre_self_pay": "2000",
                 "basic_insurance_paid": "26520"},
    }]})

    his_serial: HisSerial = Field(description="HIS结算流水号，幂等键 (HIS serial number, idempotency key)")
    hospital_code: HospitalCode = Field(description="定点医疗机构编码 (must be the token's hospital)")
    id_number: IdNumberStr
    insurance_type: InsuranceType = Field(description="险种，来自医保卡 (from the insurance card)")
    medical_type: MedicalType
    admitted_on: BusinessDate
    discharged_on: BusinessDate
    disease_class: DiseaseClass = None
    cause: CauseCode = None
    bill: Bill | None = Field(default=None, description="费用汇总 (the bill in summary); or fee_details, not both")
    fee_details: ItemizedBill | None = Field(
        default=None,
        description="费用明细 (2301): 目录分类后得出汇总 (the catalog's split of the lines makes the summary)",
    )

    @model_validator(mode="after")
    def _dates(self) -> "SettlementRequest":
        if self.discharged_on < self.admitted_on:
            raise ValueError("出院日期早于入院日期 (discharged_on is before admitted_on)")
        if self.discharged_on > today():
            raise ValueError("出院日期晚于今天（北京时间），出院时才能结算 "
                             "(discharged_on is after today, Asia/Shanghai: a discharge is settled when it happens)")
        if self.admitted_on < parse_id_number(self.id_number).birth_date:
            raise ValueError("入院日期早于身份证号码中的出生日期 (admitted_on is before the birth date in id_number)")
        return self


class PreviewRequest(SettlementRequest):
    """A pre-settlement (预结算, like NHSA 2303): a settlement's body; the serial may be left out and is
    ignored, since nothing is settled."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "hospital_code": "060001", "id_number": "370602199001011239", "insurance_type": "resident",
        "medical_type": "inpatient", "admitted_on": "2023-03-01", "discharged_on": "2023-03-20",
        "bill": {"total": "50000", "full_self_pay": "3000", "pre_self_pay": "2000", "basic_insurance_paid": "26520"},
    }]})

    his_serial: HisSerial | None = Field(  # type: ignore[assignment]
        default=None, description="预结算不占用流水号，可省略 (ignored: a preview takes no serial)")


def _line_of_text(name: str, english: str, max_length: int) -> object:
    """A trimmed line of 1 to `max_length` characters, refused in both languages (it is typed at a
    HIS window)."""

    def valid(value: str) -> str:
        value = value.strip()
        if not 1 <= len(value) <= max_length:
            raise PydanticCustomError(
                "text_length", f"{name}须为1至{max_length}个字符 ({english} must be 1 to {max_length} characters)")
        try:
            return printable(value)
        except ValueError:
            raise PydanticCustomError(
                "control_characters", f"{name}不能含控制字符 ({english} must not contain control characters)",
            ) from None

    return Annotated[str, AfterValidator(valid),
                     WithJsonSchema({"type": "string", "minLength": 1, "maxLength": max_length})]


CancelReason = _line_of_text("撤销原因", "the reason", 200)
OperatorName = _line_of_text("经办人", "the operator", 64)


class CancelRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "reason": "患者信息录入错误，重新结算 (patient data entered wrongly)", "operator": "收费处 张三 (工号 0412)",
    }]})

    reason: CancelReason = Field(description="撤销原因，必填 (why the settlement is cancelled, required)")  # type: ignore[valid-type]
    operator: OperatorName | None = Field(  # type: ignore[valid-type]
        default=None, description="窗口经办人姓名或工号 (the person at the HIS window, name or staff number)")

    @model_validator(mode="before")
    @classmethod
    def _reason_given(cls, data: object) -> object:
        if isinstance(data, dict) and data.get("reason") is None:
            raise PydanticCustomError("reason_required", "撤销须说明原因 (a reason is required to cancel)")
        return data


class BillSplit(BaseModel):
    """The bill's self-pay parts, as the HIS summed them or as the catalog classified its lines."""

    full_self_pay: Money = Field(description="全自费 fulamt_ownpay_amt")
    over_limit_self_pay: Money = Field(description="超限价自费 overlmt_selfpay")
    pre_self_pay: Money = Field(description="先行自付 preselfpay_amt")
    itemized_lines: int | None = Field(description="费用明细行数；汇总结算为空 (fee lines; None for a summary bill)")


class SettlementLine(BaseModel):
    """One fee line kept with the settlement, as the catalog classified it."""

    line_no: int
    feedetl_sn: str
    original_sn: str | None
    item_code: str
    item_name: str | None
    category: ItemCategory | None = Field(description="A 甲 / B 乙 / C 丙; None: no entry in force on the date")
    quantity: Decimal
    unit_price: Decimal
    amount: Money
    occurred_on: date
    full_self_pay: Money
    over_limit_self_pay: Money
    pre_self_pay: Money


class CancellationNote(BaseModel):
    """Who cancelled a settlement, when and why."""

    cancelled_at: datetime
    reason: str
    cancelled_by: str = Field(description="令牌主体 (the token's subject: the HIS or ops account)")
    operator: str | None = Field(description="窗口经办人 (the person at the window, as the HIS gave it)")


class FundLine(BaseModel):
    fund: str = Field(description="基金代码 (fund code)")
    label: str
    amount: Money


class Statement(BaseModel):
    """一单制结算单: the single statement."""

    model_config = ConfigDict(json_schema_extra={"examples": [{  # POLICY.md §8 example 1, as settled
        "settlement_id": "c4383e4c50df42a2a7944de8d5baf1fd", "status": "settled", "his_serial": "ZY20230320-0001",
        "hospital_code": "060001", "id_number": "370602********1239", "medical_type": "inpatient",
        "admitted_on": "2023-03-01", "discharged_on": "2023-03-20", "policy_id": "yantai-2023",
        "identity_applied": "minimum_allowance", "reason": None, "total": "50000.00",
        "split": {"full_self_pay": "3000.00", "over_limit_self_pay": "0.00", "pre_self_pay": "2000.00",
                  "itemized_lines": None},
        "policy_range": "45000.00",
        "funds": [
            {"fund": "390100", "label": "基本医保统筹基金", "amount": "26520.00"},
            {"fund": "390200", "label": "大病保险", "amount": "7462.00"},
            {"fund": "610100", "label": "医疗救助", "amount": "8814.40"},
            {"fund": "610100", "label": "医疗救助（再救助）", "amount": "0.00"},
        ],
        "fund_total": "42796.40", "other_payments": "0.00", "personal_share": "7203.60",
        "year_to_date_after": EXAMPLE_1_YEAR_TO_DATE_AFTER, "trace": EXAMPLE_1_TRACE,
        "settled_at": "2026-11-30T11:21:00.956411Z", "cancellation": None,
    }]})

    settlement_id: str
    status: str = Field(description="settled / cancelled")
    his_serial: str
    hospital_code: str
    id_number: str = Field(description="脱敏身份证号 (masked)")
    medical_type: MedicalType
    admitted_on: date
    discharged_on: date
    policy_id: str
    identity_applied: Category | None
    reason: str | None = Field(description="未予救助的原因 (why no assistance, if none)")
    total: Money
    split: BillSplit | None = Field(
        default=None, description="自付部分（明细时为目录分类结果） (the self-pay parts; None on older statements)")
    policy_range: Money
    funds: list[FundLine]
    fund_total: Money
    other_payments: Money = Field(description="医疗机构减免与社会捐助 (hospital reductions and donations)")
    personal_share: Money = Field(description="个人自付 = 总额 − 基金合计 − 减免捐助 (what the patient pays)")
    year_to_date_after: YearToDate
    trace: list[TraceStep]
    settled_at: datetime
    cancellation: CancellationNote | None = Field(default=None, description="撤销记录 (set once cancelled)")


class SettlementSummary(BaseModel):
    settlement_id: str
    status: str
    his_serial: str
    hospital_code: str
    id_number: str
    discharged_on: date
    identity_applied: Category | None
    total: Money | None
    personal_share: Money | None
    needs_recalculation: bool


class SettlementPage(BaseModel):
    items: list[SettlementSummary]
    total: int
    limit: int
    offset: int


class LedgerLine(BaseModel):
    accumulator: str
    amount: Money
    balance_after: Money


class Cancellation(BaseModel):
    settlement_id: str
    status: str
    cancellation: CancellationNote
    reversed: list[LedgerLine] = Field(description="冲销分录 (the reversing ledger entries)")
    year_to_date_after: YearToDate
    marked_for_recalculation: list[str] = Field(
        description="同年度其后的结算，需重算 (later settlements of the year, to recalculate)"
    )


class PreviewStatement(Statement):
    """预结算单: the statement a settlement would give now, on the balances as they stand. Nothing was
    settled: no settlement id, no serial, and the balances did not move."""

    model_config = ConfigDict(json_schema_extra={"examples": [  # POLICY.md §8 example 1, previewed
        Statement.model_config["json_schema_extra"]["examples"][0]  # type: ignore[index, call-overload]
        | {"settlement_id": None, "his_serial": None, "status": "preview", "settled_at": None, "preview": True,
           "previewed_at": "2026-11-30T11:20:59.102233Z"},
    ]})
    settlement_id: None = Field(default=None, description="预结算无结算号 (a preview settles nothing)")  # type: ignore[assignment]
    status: Literal["preview"] = "preview"  # type: ignore[assignment]
    his_serial: None = None  # type: ignore[assignment]
    settled_at: None = None  # type: ignore[assignment]
    preview: Literal[True] = Field(default=True, description="预结算，未结算 (a preview: nothing was settled)")
    previewed_at: datetime
