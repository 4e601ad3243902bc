"""A policy file, validated at load: a file that does not fit stops the service from starting.

The rule kinds (docs/rules.md §4-§6), each a block of the file:
- `basic_insurance`: deductible by hospital level and admission number, ratio, annual cap, per
  insurance type and medical type (used when the HIS or the insurance core does not pass it);
- `critical_illness`: segments on the cumulative burden, tilted for some categories, optional
  annual cap; `special_drugs`: threshold, ratio and cap, the unpaid part joining the assistance base;
- `large_expense`: the employee large-expense subsidy (off unless configured);
- `assistance`: per identity, ratios by medical type (and disease class), an annual threshold,
  caps on named pools (`all`, `inpatient`, `outpatient`, `ordinary`), a floor for "not less than";
- `re_assistance`: per identity, threshold, ratio and cap on the cumulative remainder;
- `outpatient_benefit`: a benefit apart from assistance, switchable, on the person's *actual*
  outpatient burden with a cap of its own (Tai'erzhuang 001 §四 门诊救助);
- `excluded_causes`: causes of injury or illness that get no assistance for the medical types
  `excluded_causes_medical_types` names (Tai'erzhuang: inpatient only).
"""

from decimal import Decimal, InvalidOperation
from functools import cached_property
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from shared.categories import Category, InsuranceType, MedicalType
from shared.money import ZERO, to_yuan


def _fraction(value: object) -> object:
    """"2/3" → Decimal 0.666…67 (28 digits: a fen amount times it still rounds to the exact fen)."""
    if isinstance(value, str) and "/" in value:
        numerator, denominator = value.split("/", 1)
        try:
            return Decimal(numerator.strip()) / Decimal(denominator.strip())
        except (InvalidOperation, ZeroDivisionError) as exc:
            raise ValueError(f"not a ratio: {value!r}") from exc
    return value


def _listed(value: object) -> object:
    return [value] if isinstance(value, str | int | float | Decimal) else value


Ratio = Annotated[Decimal, BeforeValidator(_fraction), Field(ge=0, le=1)]
# Held in fen ("3000" as 3000.00, exactly: two places at most), as every amount of a request is: the
# chain's figures then all have two places, and its results are written without being validated again.
Amount = Annotated[Decimal, Field(ge=0, decimal_places=2), AfterValidator(to_yuan)]
Pool = Literal["all", "inpatient", "outpatient", "ordinary"]
DISEASE_CLASSES = ("ordinary", "major")
RATIO_KEYS = {m.value: m for m in MedicalType} | {f"{m.value}_{d}": m for m in MedicalType for d in DISEASE_CLASSES}


def pools_of(ratio_key: str) -> tuple[str, ...]:
    """The cap pools a payment under this ratio counts toward."""
    medical = RATIO_KEYS[ratio_key]
    pools = ["all", "inpatient" if medical is MedicalType.INPATIENT else "outpatient"]
    if ratio_key.endswith("_ordinary"):
        pools.append("ordinary")
    return tuple(pools)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class BasicSchedule(_Strict):
    annual_cap: Amount
    deductible: dict[str, Annotated[list[Amount], BeforeValidator(_listed), Field(min_length=1)]] = Field(
        description="per hospital level: the deductible of the 1st, 2nd, … admission of the year (the last repeats)"
    )
    ratio: dict[str, Ratio]

    @model_validator(mode="after")
    def _has_fallback(self) -> "BasicSchedule":
        if "unknown" not in self.deductible or "unknown" not in self.ratio:
            raise ValueError("a basic-insurance schedule needs an `unknown` hospital level")
        return self

    def deductible_for(self, level: str, admission_number: int) -> Decimal:
        schedule = self.deductible.get(level, self.deductible["unknown"])
        return schedule[min(admission_number, len(schedule)) - 1]


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
    cap_verified: bool = Field(default=True, description="false: the cap is a placeholder to confirm locally")

    @model_validator(mode="after")
    def _contiguous(self) -> "CriticalIllnessSchedule":
        for before, after in zip(self.segments, self.segments[1:], strict=False):
            if before.end is None or before.end != after.start:
                raise ValueError("critical-illness segments must be contiguous and ordered")
        for segment in self.segments:
            if segment.end is not None and segment.end <= segment.start:
                raise ValueError("a critical-illness segment ends before it starts")

        if self.segments[-1].end is not None:
            raise ValueError("the last critical-illness segment must be open-ended (nothing above it would be paid)")
        return self

    @property
    def threshold(self) -> Decimal:
        return self.segments[0].start


class Band(_Strict):
    """Annual threshold, ratio and cap on a cumulative base (re-assistance, special drugs, large expense)."""

    source: str
    threshold: Amount = ZERO
    ratio: Ratio
    annual_cap: Amount
    verified: bool = True

    @model_validator(mode="after")
    def _cap_reachable(self) -> "Band":
        if self.annual_cap <= 0:
            raise ValueError("an annual cap must be above zero")
        return self


class CriticalIllness(_Strict):
    source: str
    medical_types: frozenset[MedicalType] = Field(description="the costs critical illness counts")
    tilted_categories: frozenset[Category]
    tilted: dict[InsuranceType, CriticalIllnessSchedule]
    normal: dict[InsuranceType, CriticalIllnessSchedule]
    special_drugs: dict[Literal["tilted", "normal"], Band] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _both_insurance_types(self) -> "CriticalIllness":
        for table in (self.tilted, self.normal):
            if set(table) != set(InsuranceType):
                raise ValueError("critical illness needs figures for employee and resident")
        if self.special_drugs and set(self.special_drugs) != {"tilted", "normal"}:
            raise ValueError("special drugs need both tilted and normal figures")
        return self


class AssistanceRule(_Strict):
    """One identity's assistance: `ratios` keyed by medical type, or `<medical type>_<disease class>`
    where the policy tells ordinary from major disease; caps per pool, every payment counting toward
    `all`, its medical pool (`inpatient` / `outpatient`) and, for ordinary disease, `ordinary`."""

    source: str
    threshold: Amount = Field(default=ZERO, description="annual, on the cumulative assistance base")
    ratios: dict[str, Ratio] = Field(min_length=1)
    minimum_ratios: dict[str, Ratio] = Field(default_factory=dict, description="the document's 'not less than'")
    caps: dict[Pool, Amount] = Field(min_length=1)
    verified: bool = True

    @model_validator(mode="after")
    def _consistent(self) -> "AssistanceRule":
        for key in self.ratios:
            if key not in RATIO_KEYS:
                raise ValueError(f"unknown ratio key {key!r}: a medical type, optionally _ordinary or _major")
        for key, floor in self.minimum_ratios.items():
            if key not in self.ratios:
                raise ValueError(f"minimum ratio for {key!r} without a ratio")
            if self.ratios[key] < floor:
                raise ValueError(f"ratio {key} = {self.ratios[key]} is below the document's minimum {floor}")
        if any(cap <= 0 for cap in self.caps.values()):
            raise ValueError("an annual cap must be above zero")
        if "all" in self.caps and any(cap > self.caps["all"] for cap in self.caps.values()):
            raise ValueError("a sub-cap above the annual cap")
        reached = {pool for key in self.ratios for pool in pools_of(key)}
        unreachable = set(self.caps) - reached
        if unreachable:
            raise ValueError(f"caps on pools no ratio pays into: {sorted(unreachable)}")
        uncapped = [key for key in self.ratios if not set(pools_of(key)) & set(self.caps)]
        if uncapped:
            raise ValueError(f"ratios under no cap: {uncapped}")
        return self

    def ratio_for(self, medical_type: MedicalType, disease_class: str | None) -> tuple[str, Decimal] | None:
        for key in (f"{medical_type.value}_{disease_class}", medical_type.value):
            if key in self.ratios:
                return key, self.ratios[key]
        return None

    @property
    def by_disease_class(self) -> bool:
        return any(k.endswith(("_ordinary", "_major")) for k in self.ratios)


class OutpatientBenefit(_Strict):
    """Outpatient assistance granted at the district's discretion (001 §四 可给予一定金额的门诊救助): a
    ratio of the person's actual outpatient burden — what is left to pay after every insurance,
    reductions and donations, costs outside the catalog included (按照个人门诊实际负担医疗费用) — on the
    year's cumulative burden, under an annual cap of its own held on the outpatient accumulator."""

    source: str
    enabled: bool = Field(description="可给予：本区是否开展 (whether the district grants it)")
    medical_types: frozenset[MedicalType] = Field(min_length=1)
    categories: frozenset[Category] = Field(min_length=1)
    ratio: Ratio
    annual_cap: Amount
    verified: bool = True

    @model_validator(mode="after")
    def _outpatient_only(self) -> "OutpatientBenefit":
        if MedicalType.INPATIENT in self.medical_types:
            raise ValueError("the outpatient benefit cannot pay inpatient costs")
        if self.annual_cap <= 0:
            raise ValueError("an annual cap must be above zero")
        return self


class Placeholder(BaseModel):
    """A figure the documents do not give (Configurable): listed with whether it was confirmed locally."""

    parameter: str = Field(description="参数位置，如 basic_insurance (where it is in the policy file)")
    verified: bool = Field(
        description="false: 尚未核实，默认不予支付 (a placeholder: pays only where the deployment allows)",
    )
    source: str


class Policy(_Strict):
    """A policy's parameters (its region and dates are in the index)."""

    id: str = Field(pattern=r"^[a-z0-9-]+$")
    region_code: str = Field(default="", description="set from index.toml when the book loads")
    extends: str | None = Field(default=None, description="a policy whose parameters this one overrides")
    insurance_types: frozenset[InsuranceType] = frozenset(InsuranceType)
    basic_insurance: BasicInsurance | None = None
    critical_illness: CriticalIllness | None = None
    large_expense: Band | None = None
    assistance: dict[Category, AssistanceRule]
    re_assistance: dict[Category, Band] = Field(default_factory=dict)
    outpatient_benefit: OutpatientBenefit | None = None
    excluded_causes: dict[Annotated[str, Field(pattern=r"^[a-z_]{1,40}$")], str] = Field(
        default_factory=dict, description="cause code → 中文",
    )
    hospital_within_region: bool = Field(
        default=False, description="assisted only at hospitals inside the policy's region (Tai'erzhuang)",
    )
    excluded_causes_source: str | None = None
    excluded_causes_medical_types: frozenset[MedicalType] = Field(
        default=frozenset(), description="the costs an excluded cause gets no assistance for",
    )

    @model_validator(mode="after")
    def _re_assistance_needs_assistance(self) -> "Policy":
        missing = set(self.re_assistance) - set(self.assistance)
        if missing:
            raise ValueError(f"re-assistance for categories without assistance: {sorted(missing)}")
        if self.excluded_causes and not self.excluded_causes_source:
            raise ValueError("excluded causes need their source paragraph")
        if self.excluded_causes and not self.excluded_causes_medical_types:
            raise ValueError("excluded causes need the medical types they exclude (excluded_causes_medical_types)")
        benefit = self.outpatient_benefit
        if benefit is not None:
            both = {RATIO_KEYS[key] for rule in self.assistance.values() for key in rule.ratios} & benefit.medical_types
            if both:
                raise ValueError(f"both assistance and the outpatient benefit pay {sorted(both)}: one rule per cost")
        return self

    @cached_property
    def medical_types(self) -> frozenset[MedicalType]:
        """The medical types some identity is assisted for (asked by every calculation: computed once)."""
        assisted = {RATIO_KEYS[key] for rule in self.assistance.values() for key in rule.ratios}
        if self.outpatient_benefit is not None and self.outpatient_benefit.enabled:
            assisted |= self.outpatient_benefit.medical_types
        return frozenset(assisted)

    @cached_property
    def placeholders(self) -> list[Placeholder]:
        """Every figure the file marks as Configurable (`verified` / `cap_verified` written in it), confirmed
        or not: what a deployment must confirm before it pays, and what it confirmed."""
        blocks: list[tuple[str, BaseModel | None]] = [("basic_insurance", self.basic_insurance)]
        ci = self.critical_illness
        if ci is not None:
            blocks += [(f"critical_illness.{kind}.{insurance.value}.annual_cap", schedule)
                       for kind in ("tilted", "normal") for insurance, schedule in getattr(ci, kind).items()]
            blocks += [(f"critical_illness.special_drugs.{kind}", band) for kind, band in ci.special_drugs.items()]
        blocks += [("large_expense", self.large_expense), ("outpatient_benefit", self.outpatient_benefit)]
        blocks += [(f"assistance.{c.value}", rule) for c, rule in self.assistance.items()]
        blocks += [(f"re_assistance.{c.value}", band) for c, band in self.re_assistance.items()]
        found = []
        for parameter, block in blocks:
            flag = "cap_verified" if parameter.endswith(".annual_cap") else "verified"
            if block is not None and flag in block.model_fields_set:
                found.append(Placeholder(
                    parameter=parameter, verified=getattr(block, flag), source=getattr(block, "source", ""),
                ))
        return found
