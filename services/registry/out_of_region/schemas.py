from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from services.registry.out_of_region.models import OutOfRegionFilingRow
from services.registry.out_of_region.rules import DOCUMENT_LABELS, KIND_LABELS, FilingKind, missing_documents
from shared.types import BusinessDate, HospitalCode, plain_text


class OutOfRegionFilingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "kind": "long_term_residence", "destination_region_code": "110105", "filed_on": "2023-03-01",
        "documents_received": ["identity_card", "residence_proof"],
    }]})

    kind: FilingKind = Field(description=(
        "备案类别：异地安置退休 resettled_retiree / 异地长期居住 long_term_residence / 常驻异地工作 posted_worker / "
        "异地转诊 referral / 异地急诊 emergency"))
    destination_region_code: str = Field(
        pattern=r"^[0-9]{6}$", description="就医地区划（省、市或区县） (where the care is taken)")
    hospital_code: HospitalCode | None = Field(default=None, description=(
        "转诊的转入医院 / 急诊住院的医院；异地居住类不填 (the receiving hospital of a referral, the hospital of the "
        "emergency; none for the residence kinds)"))
    filed_on: BusinessDate = Field(description="备案日期 (the day the filing was made)")
    valid_from: BusinessDate | None = Field(default=None, description=(
        "有效期起，默认备案日；急诊为急诊入院日 (first day covered; default the filing day; for an emergency "
        "the emergency admission)"))
    valid_until: BusinessDate | None = Field(default=None, description="有效期止，空为长期 (last day covered)")
    documents_received: list[str] = Field(default_factory=list, max_length=8, description=(
        "已收材料 (documents received): identity_card, residence_proof, posting_proof, emergency_record, "
        "inpatient_record_copy"))
    personal_commitment: bool = Field(default=False, description=(
        "个人承诺制：材料暂时不齐，事后补充（仅异地居住类） (personal commitment: documents supplied later; the "
        "residence kinds only)"))


class DocumentsReceived(BaseModel):
    model_config = ConfigDict(extra="forbid")

    documents_received: list[str] = Field(min_length=1, max_length=8, description="补交的材料 (documents now received)")


class FilingEnd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    last_day: BusinessDate = Field(description="最后有效日 (the last day the filing covers)")
    reason: plain_text(128) | None = None  # type: ignore[valid-type]


class MissingDocument(BaseModel):
    code: str
    label: str


class OutOfRegionFilingOut(BaseModel):
    filing_id: str
    kind: FilingKind
    kind_label: str
    destination_region_code: str
    hospital_code: str | None
    filed_on: date
    valid_from: date
    valid_until: date | None
    last_day: date | None = Field(description="提前终止的最后有效日 (ended early: the last day covered)")
    in_force: bool = Field(description="材料齐全或个人承诺后生效 (complete, or under a personal commitment)")
    in_force_since: datetime | None
    personal_commitment: bool
    documents_received: list[str]
    missing_documents: list[MissingDocument] = Field(description="一次性告知：尚缺的材料 (everything still missing)")
    created_at: datetime

    @classmethod
    def of(cls, row: OutOfRegionFilingRow) -> "OutOfRegionFilingOut":
        kind = FilingKind(row.kind)
        return cls(
            filing_id=row.id, kind=kind, kind_label=KIND_LABELS[kind],
            destination_region_code=row.destination_region_code, hospital_code=row.hospital_code,
            filed_on=row.filed_on, valid_from=row.valid_from, valid_until=row.valid_until, last_day=row.last_day,
            in_force=row.in_force_since is not None, in_force_since=row.in_force_since,
            personal_commitment=row.personal_commitment, documents_received=list(row.documents_received),
            missing_documents=[MissingDocument(code=d, label=DOCUMENT_LABELS[d])
                               for d in missing_documents(kind, row.documents_received)],
            created_at=row.created_at,
        )


class FilingInForce(BaseModel):
    """A filing as the eligibility answer carries it: what a settlement needs to see it covers the hospital."""

    filing_id: str = Field(validation_alias="id")
    kind: FilingKind
    destination_region_code: str
    hospital_code: str | None
    valid_from: date
    valid_until: date | None
    last_day: date | None
