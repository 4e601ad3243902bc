from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from shared.categories import Category, InsuranceType, MedicalType
from shared.clock import today
from shared.contracts.calculation import Bill, CauseCode, DiseaseClass, TraceStep, YearToDate
from shared.id_number import IdNumberStr
from shared.id_number import parse as parse_id_number
from shared.money import Money
from shared.types import BusinessDate

HisSerial = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")]
HospitalCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{6,12}$")]


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
    bill: Bill

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


class FundLine(BaseModel):
    fund: str = Field(description="基金代码 (fund code)")
    label: str
    amount: Money


class Statement(BaseModel):
    """一单制结算单: the single statement."""

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
    policy_range: Money
    funds: list[FundLine]
    fund_total: Money
    other_payments: Money = Field(description="医疗机构减免与社会捐助 (hospital reductions and donations)")
    personal_share: Money = Field(description="个人自付 = 总额 − 基金合计 − 减免捐助 (what the patient pays)")
    year_to_date_after: YearToDate
    trace: list[TraceStep]
    settled_at: datetime


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
    reversed: list[LedgerLine] = Field(description="冲销分录 (the reversing ledger entries)")
    year_to_date_after: YearToDate
    marked_for_recalculation: list[str] = Field(
        description="同年度其后的结算，需重算 (later settlements of the year, to recalculate)"
    )
