from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from shared.types import BusinessDate, plain_text


class ApplicationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"applied_on": "2023-06-15"}]})

    applied_on: BusinessDate = Field(description="申请日期：追溯至申请之月前12个月 (the look-back counts from it)")


class Approval(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "decided_on": "2023-07-03", "document_number": "芝民因病〔2023〕7号"}]})

    decided_on: BusinessDate
    document_number: plain_text(64) = Field(description="认定文号")  # type: ignore[valid-type]


class Rejection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decided_on: BusinessDate
    reason: plain_text(128) = Field(description="不予认定的原因")  # type: ignore[valid-type]


class ApplicationOut(BaseModel):
    application_id: str = Field(validation_alias="id")
    applied_on: date
    status: str = Field(description="submitted 已申请 / approved 已认定 / rejected 不予认定")
    decided_on: date | None
    decided_by: str | None
    document_number: str | None
    decision_reason: str | None
    identity_id: str | None = Field(validation_alias="identity_key", description="认定后生成的救助身份")
    created_at: datetime
