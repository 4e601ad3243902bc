"""A policy file, validated at load: a file that does not fit stops the service from starting."""

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.categories import Category, InsuranceType, MedicalType

Ratio = Annotated[Decimal, Field(ge=0, le=1)]
Amount = Annotated[Decimal, Field(ge=0, decimal_places=2)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class BasicSchedule(_Strict):
    annual_cap: Amount
    deductible: dict[str, Amount] = Field(description="per hospital level, with an `unknown` fallback")
    ratio: dict[str, Ratio]

    @model_validator(mode="after")
    def _has_fallback(self) -> "BasicSchedule":
        if "unknown" not in self.deductible or "unknown" not in self.ratio:
            raise ValueError("a basic-insurance schedule needs an `unknown` hospital level")
        return self


class BasicInsurance(_Strict):
    verified: bool
    source: str
    resident: dict[MedicalType, BasicSchedule] = Field(default_factory=dict)
    employee: dict[MedicalType, BasicSchedule] = Field(default_factory=dict)

    def schedule(self, insurance_type: InsuranceType, medical_type: MedicalType) -> BasicSchedule | None:
        return getattr(self, insurance_type.value).get(medical_type)


class Segment(_Strict):
    start: Amount = Field(alias="from")
    end: Amount | None = Field(default=None, alias="to")
    ratio: Ratio


class CriticalIllnessSchedule(_Strict):
    source: str
    segments: list[Segment] = Field(min_length=1)
    annual_cap: Amount | None = None

    @model_validator(mode="after")
    def _contiguous(self) -> "CriticalIllnessSchedule":
        for before, after in zip(self.segments, self.segments[1:], strict=False):
            if before.end is None or before.end != after.start:
                raise ValueError("critical-illness segments must be contiguous and ordered")
        for segment in self.segments:
            if segment.end is not None and segment.end <= segment.start:
                raise ValueError("a critical-illness segment ends before it starts")
        return self

    @property
    def threshold(self) -> Decimal:
        return self.segments[0].start


class CriticalIllness(_Strict):
    tilted_categories: frozenset[Category]
    tilted: dict[InsuranceType, CriticalIllnessSchedule]
    normal: dict[InsuranceType, CriticalIllnessSchedule]

    @model_validator(mode="after")
    def _both_insurance_types(self) -> "CriticalIllness":
        for table in (self.tilted, self.normal):
            if set(table) != set(InsuranceType):
                raise ValueError("critical illness needs figures for employee and resident")
        return self


class Band(_Strict):
    """Annual threshold, ratio and cap on a cumulative base (assistance, re-assistance)."""

    source: str
    threshold: Amount
    ratio: Ratio
    annual_cap: Amount

    @model_validator(mode="after")
    def _cap_reachable(self) -> "Band":
        if self.annual_cap <= 0:
            raise ValueError("an annual cap must be above zero")
        return self


class Policy(_Strict):
    """A policy's parameters (its region and dates are in the index)."""

    id: str = Field(pattern=r"^[a-z0-9-]+$")
    basic_insurance: BasicInsurance
    critical_illness: CriticalIllness
    assistance: dict[Category, Band]
    re_assistance: dict[Category, Band] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _re_assistance_needs_assistance(self) -> "Policy":
        missing = set(self.re_assistance) - set(self.assistance)
        if missing:
            raise ValueError(f"re-assistance for categories without assistance: {sorted(missing)}")
        return self
