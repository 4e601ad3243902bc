from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.registry.identities.models import IdentityRow
from shared.categories import AGENCY_LABELS_ZH, LABELS_ZH, Agency, Category
from shared.types import BusinessDate, plain_text


class IdentityCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "category": "minimum_allowance", "document_number": "烟民〔2023〕12号",
        "approved_on": "2023-03-15",
    }]})

    category: Category = Field(description="救助身份类别 (identity category, docs/rules.md §1)")
    document_number: plain_text(64) = Field(description="认定文号 (approval document number)")  # type: ignore[valid-type]
    approved_on: BusinessDate = Field(description="认定日期；次月起生效 (approval date; counts from next month)")
    ended_on: BusinessDate | None = Field(
        default=None, description="终止日期；次月起停止 (end date; stops counting from next month)"
    )


class IdentityEnd(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"ended_on": "2023-09-30"}]})

    ended_on: BusinessDate = Field(description="终止日期；次月起停止 (stops counting from next month)")
    reason: plain_text(128) | None = Field(default=None, description="终止原因 (why)")  # type: ignore[valid-type]


class IdentityCorrection(BaseModel):
    """Only the fields given change; the reason is required and kept with the new version."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "approved_on": "2023-02-20", "reason": "认定日期录入错误 (approval date mistyped)",
    }]})

    document_number: plain_text(64) | None = None  # type: ignore[valid-type]
    approved_on: BusinessDate | None = None
    ended_on: BusinessDate | None = Field(default=None, description="null 表示撤销终止 (null re-opens it)")
    reason: plain_text(128) = Field(description="更正原因 (why)")  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _no_nulls_but_end(self) -> "IdentityCorrection":
        for name in ("document_number", "approved_on"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} 不能为 null ({name} cannot be null)")
        return self


class IdentityOut(BaseModel):
    identity_id: str = Field(description="身份标识，跨版本不变 (stays the same across versions)")
    category: Category
    category_label: str = Field(description="类别中文名 (Chinese label)")
    source_agency: Agency
    source_agency_label: str
    document_number: str
    approved_on: date
    ended_on: date | None
    effective_from: date = Field(description="生效日（含） (first day it counts)")
    effective_until: date | None = Field(description="失效日（不含） (first day it no longer counts)")
    change: str = Field(description="本版本的来由 added / ended / corrected / imported / list_ended")
    reason: str | None
    recorded_at: datetime = Field(description="记录时间 (when this version was recorded)")
    superseded_at: datetime | None = Field(description="被后续版本取代的时间 (when a later version replaced it)")

    @classmethod
    def of(cls, row: IdentityRow) -> "IdentityOut":
        category, agency = Category(row.category), Agency(row.source_agency)
        return cls(
            identity_id=row.identity_key, change=row.change, reason=row.reason, recorded_at=row.recorded_at,
            superseded_at=row.superseded_at, category=category, category_label=LABELS_ZH[category],
            source_agency=agency,
            source_agency_label=AGENCY_LABELS_ZH[agency], document_number=row.document_number,
            approved_on=row.approved_on, ended_on=row.ended_on, effective_from=row.effective_from,
            effective_until=row.effective_until,
        )
