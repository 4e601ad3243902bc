from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from services.registry.chronic.rules import EndReason
from shared.types import BusinessDate, plain_text


class DiseaseOut(BaseModel):
    code: str
    name: str
    disease_class: str = Field(description="甲类 A / 乙类 B")
    quarterly_review: bool = Field(description="每季度审核 (pending until reviewed)")


class FilingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "disease_code": "B01", "hospital_code": "060001", "filed_on": "2023-03-10"}]})

    disease_code: str = Field(pattern=r"^[AB][0-9]{2}$", description="病种代码 (GET /v1/chronic-diseases)")
    disease_name: plain_text(64) | None = Field(  # type: ignore[valid-type]
        default=None, description="“其他”病种须写明病名 (required for A99 / B99)")
    hospital_code: str = Field(pattern=r"^[0-9]{6}$", description="选定的定点医疗机构")
    filed_on: BusinessDate = Field(description="备案日期：次日起享受待遇")


class FilingDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: plain_text(128) | None = None  # type: ignore[valid-type]


class FilingEnd(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "last_day": "2023-06-30", "reason": "moved", "note": "参保关系转出烟台市"}]})

    last_day: BusinessDate = Field(description="最后享受待遇日 (the last day the filing gives benefits)")
    reason: EndReason = Field(description="revoked 撤销 / expired 到期 / moved 参保关系转出")
    note: plain_text(128) | None = None  # type: ignore[valid-type]


class FilingOut(BaseModel):
    filing_id: str = Field(validation_alias="id")
    disease_code: str
    disease_name: str
    disease_class: str
    hospital_code: str
    filed_on: date
    status: str = Field(description="in_force 生效 / pending 待季度审核 / rejected 未通过")
    effective_from: date | None = Field(description="待遇起始日 (first day of benefits)")
    review_due_on: date | None = Field(
        default=None, description="待审核甲类备案的办结期限：备案次日起第20个工作日"
        " (a class A filing awaiting review: decided by the 20th working day after filing)")
    decided_by: str | None
    decision_reason: str | None
    created_at: datetime
    last_day: date | None = Field(
        default=None, description="备案终止：最后享受待遇日 (ended: the last day of benefits)")
    end_reason: EndReason | None = None
    ended_at: datetime | None = None


class ReviewOverdue(FilingOut):
    """A class A filing past its review deadline, and whose it is."""

    id_number: str = Field(description="masked unless the token holds pii:read")
