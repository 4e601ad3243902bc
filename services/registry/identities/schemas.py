from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from services.registry.identities.models import IdentityRow
from shared.categories import AGENCY_LABELS_ZH, LABELS_ZH, Agency, Category
from shared.types import BusinessDate, plain_text


class IdentityCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "category": "minimum_allowance", "document_number": "烟民〔2023〕12号",
        "approved_on": "2023-03-15",
    }]})

    category: Category = Field(description="救助身份类别 (identity category, POLICY.md §1)")
    document_number: plain_text(64) = Field(description="认定文号 (approval document number)")  # type: ignore[valid-type]
    approved_on: BusinessDate = Field(description="认定日期；次月起生效 (approval date; counts from next month)")
    ended_on: BusinessDate | None = Field(
        default=None, description="终止日期；次月起停止 (end date; stops counting from next month)"
    )


class IdentityOut(BaseModel):
    id: int
    category: Category
    category_label: str = Field(description="类别中文名 (Chinese label)")
    source_agency: Agency
    source_agency_label: str
    document_number: str
    approved_on: date
    ended_on: date | None
    effective_from: date = Field(description="生效日（含） (first day it counts)")
    effective_until: date | None = Field(description="失效日（不含） (first day it no longer counts)")

    @classmethod
    def of(cls, row: IdentityRow) -> "IdentityOut":
        category, agency = Category(row.category), Agency(row.source_agency)
        return cls(
            id=row.id, category=category, category_label=LABELS_ZH[category], source_agency=agency,
            source_agency_label=AGENCY_LABELS_ZH[agency], document_number=row.document_number,
            approved_on=row.approved_on, ended_on=row.ended_on, effective_from=row.effective_from,
            effective_until=row.effective_until,
        )
