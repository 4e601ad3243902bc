from datetime import date

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.settlement.settlements.schemas import HisSerial, HospitalCode, _line_of_text
from shared.categories import Category
from shared.id_number import IdNumberStr
from shared.types import BusinessDate

ReferringInstitution = _line_of_text("首诊转诊机构", "the referring institution", 128)


class Referral(BaseModel):
    """基层首诊转诊 (004 §四(十)): the primary-care institution that saw the person first and referred them."""

    model_config = ConfigDict(extra="forbid")

    referring_institution: ReferringInstitution = Field(  # type: ignore[valid-type]
        description="首诊转诊的基层医疗卫生机构（名称或编码） (the primary-care institution, name or code)",
    )
    referred_on: BusinessDate = Field(description="转诊日期 (referral date)")


class AdmissionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "admission_number": "ZY2023000123", "hospital_code": "060001", "id_number": "370602199001011239",
        "admitted_on": "2023-03-01",
        "referral": {"referring_institution": "芝罘区幸福街道社区卫生服务中心", "referred_on": "2023-02-28"},
    }]})

    admission_number: HisSerial = Field(description="住院号 (the hospital's admission number)")
    hospital_code: HospitalCode
    id_number: IdNumberStr
    admitted_on: BusinessDate
    referral: Referral | None = Field(
        default=None, description="基层首诊转诊；无转诊则须交押金 (without a referral a deposit applies)",
    )

    @model_validator(mode="after")
    def _referred_before_admission(self) -> "AdmissionRequest":
        if self.referral is not None and self.referral.referred_on > self.admitted_on:
            raise ValueError("转诊日期晚于入院日期 (referred_on is after admitted_on)")
        return self


class Admission(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{  # the demo 低保 person: no deposit
        "admission_id": "835ef004d3954c3cbe60ec16f0b5e2e2", "admission_number": "ZY2023000123",
        "hospital_code": "060001", "id_number": "370602********1239", "admitted_on": "2023-03-01",
        "identities": ["minimum_allowance"], "treat_first_pay_later": True, "note": None,
        "referral": {"referring_institution": "芝罘区幸福街道社区卫生服务中心", "referred_on": "2023-02-28"},
        "deposit_reasons": [],
    }]})

    admission_id: str
    admission_number: str
    hospital_code: str
    id_number: str = Field(description="脱敏身份证号 (masked)")
    admitted_on: date
    identities: list[Category] = Field(description="入院日有效的救助身份 (identities in force on admission)")
    treat_first_pay_later: bool = Field(description="先诊疗后付费，免交押金 (no admission deposit)")
    note: str | None = Field(description="说明：须交押金的首要原因 (the first reason a deposit applies, if one does)")
    referral: Referral | None = Field(default=None, description="基层首诊转诊 (the referral, as registered)")
    deposit_reasons: list[str] = Field(
        default_factory=list, description="须交押金的原因，逐条 (each condition of 004 §四(十) the admission misses)",
    )
