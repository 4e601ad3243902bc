"""Outpatient chronic/special disease filings (seed 003): the disease list as reference data, and
when a filing gives benefits. Pure."""

import tomllib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.categories import InsuranceType
from shared.errors import Unprocessable
from shared.working_days import nth_working_day

DISEASES_FILE = Path(__file__).parent / "diseases.toml"
REVIEW_WORKING_DAYS = 20  # 甲类其他病种：每季度审核办理一次，自审核之日起20个工作日办结


class Disease(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    code: str = Field(pattern=r"^[AB][0-9]{2}$")
    name: str
    disease_class: Literal["A", "B"] = Field(alias="class", description="甲类 A / 乙类 B")
    insurance_types: frozenset[InsuranceType]
    quarterly_review: bool = Field(default=False, description="每季度审核：审核通过前待定 (pending until reviewed)")


class _DiseaseFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: str
    disease: list[Disease]


@dataclass(frozen=True)
class DiseaseList:
    source: str
    by_code: dict[str, Disease]

    @classmethod
    def load(cls, path: Path = DISEASES_FILE) -> "DiseaseList":
        with path.open("rb") as f:
            data = _DiseaseFile.model_validate(tomllib.load(f))
        codes = [d.code for d in data.disease]
        if len(codes) != len(set(codes)):
            raise ValueError(f"{path.name}: disease codes must be unique")
        return cls(data.source, {d.code: d for d in data.disease})

    def for_insurance(self, insurance_type: InsuranceType) -> list[Disease]:
        return [d for d in self.by_code.values() if insurance_type in d.insurance_types]


class EndReason(StrEnum):
    """Why a filing stops giving benefits. The guide names no end; these are the ways one ends."""

    REVOKED = "revoked"  # 撤销（如不再符合病种认定、备案有误）
    EXPIRED = "expired"  # 到期（认定有效期届满）
    MOVED = "moved"  # 参保关系转出或迁出统筹区


END_REASON_LABELS = {EndReason.REVOKED: "撤销", EndReason.EXPIRED: "到期", EndReason.MOVED: "参保关系转出"}


def last_day_allowed(filed_on: date, effective_from: date | None, last_day: date) -> bool:
    """The last day of benefits is at the earliest the day before they began (a filing withdrawn
    before it gave any)."""
    return last_day >= (effective_from or benefits_start(filed_on)) - timedelta(days=1)


def ended_by(last_day: date | None, ended_at: datetime | None, on: date, at: datetime | None = None) -> bool:
    """Whether a filing no longer gives benefits on `on` because it ended, as the records stood at `at`."""
    return last_day is not None and on > last_day and (at is None or ended_at is None or ended_at <= at)


def review_overdue(disease_class: str, filed_on: date, today: date) -> bool:
    due = review_due_on(disease_class, filed_on)
    return due is not None and due < today


@dataclass(frozen=True)
class FilingDecision:
    status: Literal["in_force", "pending"]
    effective_from: date | None


def benefits_start(filed_on: date) -> date:
    """病种申报日期的次日开始享受待遇: the day after filing."""
    return filed_on + timedelta(days=1)


def decide(disease: Disease, filed_on: date) -> FilingDecision:
    """A listed disease counts from the day after filing; a quarterly-reviewed one waits for review
    (and once approved counts from the day after filing, as the guide dates benefits by the filing)."""
    if disease.quarterly_review:
        return FilingDecision("pending", None)
    return FilingDecision("in_force", benefits_start(filed_on))


def review_due_on(disease_class: str, filed_on: date) -> date | None:
    """The last day to decide a class A filing awaiting review: the 20th working day after filing (the
    guide counts from the review, which a filing awaits from the day it is received; the day itself is
    not counted). The guide gives class B reviews no deadline, and a year the holiday calendar does
    not cover yet gives no date (None) rather than a guess."""
    if disease_class != "A":
        return None
    try:
        return nth_working_day(filed_on + timedelta(days=1), REVIEW_WORKING_DAYS)
    except Unprocessable as exc:
        if exc.code == "calendar_not_covered":
            return None
        raise
