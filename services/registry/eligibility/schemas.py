from datetime import date, datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.registry.chronic.schemas import FilingOut
from services.registry.identities.schemas import IdentityOut
from services.registry.out_of_region.schemas import FilingInForce
from services.registry.persons.schemas import InsuranceStatus, InsuranceType
from shared.id_number import IdNumberStr
from shared.types import BusinessDate


class Eligibility(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{  # the demo person on 2023-06-01, with pii:read
        "id_number": "370602199001011239", "on": "2023-06-01", "as_recorded_at": None, "insured": True,
        "insurance_type": "resident", "insurance_status": "active", "region_code": "370602",
        "identities": [{
            "identity_id": "13678812b059481f93039bdd927d18db", "category": "minimum_allowance",
            "category_label": "低保对象", "source_agency": "civil_affairs", "source_agency_label": "民政部门",
            "document_number": "芝民低保〔2023〕3号", "approved_on": "2023-01-10", "ended_on": None,
            "effective_from": "2023-02-01", "effective_until": None, "change": "added", "reason": None,
            "recorded_at": "2026-11-30T11:20:37.687326Z", "superseded_at": None,
        }],
        "chronic_filings": [{
            "filing_id": "6010624ef73847ad8be7997db0acd6c0", "disease_code": "B01", "disease_name": "糖尿病",
            "disease_class": "B", "hospital_code": "060001", "filed_on": "2023-03-10", "status": "in_force",
            "effective_from": "2023-03-11", "decided_by": None, "decision_reason": None,
            "created_at": "2026-11-30T11:25:52.205946Z",
        }],
        "out_of_region_filings": [],
    }]})

    id_number: str = Field(description="身份证号；无 pii:read 权限时脱敏 (masked without pii:read)")
    on: date = Field(description="查询日期 (the date asked about)")
    as_recorded_at: datetime | None = Field(description="按该时刻的记录作答；空为当前记录 (records as they stood then)")
    insured: bool = Field(description="当日参保有效 (enrolment active on that date)")
    insurance_type: InsuranceType | None = Field(description="当日险种 (insurance type on that date)")
    insurance_status: InsuranceStatus | None = Field(description="当日参保状态；空为当日未参保登记")
    region_code: str
    identities: list[IdentityOut] = Field(
        description="当日有效的救助身份，按政策顺序 (identities in force, in policy order)"
    )
    chronic_filings: list[FilingOut] = Field(description="当日有效的门诊慢特病备案 (chronic filings in force)")
    out_of_region_filings: list[FilingInForce] = Field(
        description="当日有效的异地就医备案 (out-of-region care filings in force on that date)")


class EligibilityBatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "on": "2023-03-20", "id_numbers": ["370602199001011239"],
    }]})

    on: BusinessDate
    as_recorded_at: AwareDatetime | None = Field(default=None, description="带时区 (with a UTC offset)")
    id_numbers: list[IdNumberStr] = Field(min_length=1, max_length=1000)


class EligibilityBatchItem(BaseModel):
    id_number: str
    found: bool
    eligibility: Eligibility | None


class EligibilityBatch(BaseModel):
    items: list[EligibilityBatchItem] = Field(description="与请求顺序一致 (in the order asked)")
