from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from services.settlement.settlements.schemas import HisSerial, HospitalCode
from shared.categories import Category
from shared.id_number import IdNumberStr
from shared.types import BusinessDate


class AdmissionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "admission_number": "ZY2023000123", "hospital_code": "060001", "id_number": "370602199001011239",
        "admitted_on": "2023-03-01",
    }]})

    admission_number: HisSerial = Field(description="住院号 (the hospital's admission number)")
    hospital_code: HospitalCode
    id_number: IdNumberStr
    admitted_on: BusinessDate


class Admission(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{  # the demo 低保 person: no deposit
        "admission_id": "835ef004d3954c3cbe60ec16f0b5e2e2", "admission_number": "ZY2023000123",
        "hospital_code": "060001", "id_number": "370602********1239", "admitted_on": "2023-03-01",
        "identities": ["minimum_allowance"], "treat_first_pay_later": True, "note": None,
    }]})

    admission_id: str
    admission_number: str
    hospital_code: str
    id_number: str = Field(description="脱敏身份证号 (masked)")
    admitted_on: date
    identities: list[Category] = Field(description="入院日有效的救助身份 (identities in force on admission)")
    treat_first_pay_later: bool = Field(description="先诊疗后付费，免交押金 (no admission deposit)")
    note: str | None = Field(description="说明 (why no deposit waiver, if none)")
