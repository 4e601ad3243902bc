"""High-cost monitoring (烟政办发〔2022〕25号 四(九) 高额医疗费用支出预警监测): the thresholds and the
province's income figures as data (data/high_cost.toml), and which person-years a month's run
flags (pure). docs/rules.md §15."""

import tomllib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.categories import OWNER, Agency, Category
from shared.errors import Unprocessable
from shared.money import Money, to_yuan
from shared.outbox import Change

DATA = Path(__file__).parent / "data" / "high_cost.toml"


class Threshold(StrEnum):
    MONITORED = "monitored"  # 低保边缘 / 监测帮扶 past 50%
    ORDINARY = "ordinary"  # 普通参保人员 past 150%


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AlertRule(_Strict):
    effective_from: date
    source: str
    # The plan is a city's: only settlements under its policy region count (docs/rules.md §15).
    region_code: str = Field(pattern=r"^[0-9]{6}$")
    monitored_categories: frozenset[Category] = Field(min_length=1)
    monitored_share: Decimal = Field(gt=0)
    ordinary_share: Decimal = Field(gt=0)


class IncomeFigure(_Strict):
    """全省居民人均可支配收入 of one year."""

    year: int
    amount: Money = Field(gt=0)
    verified: bool
    source: str


class HighCostData(_Strict):
    rules: list[AlertRule] = Field(min_length=1)
    incomes: list[IncomeFigure]

    @model_validator(mode="after")
    def _one_each(self) -> "HighCostData":
        if len({r.effective_from for r in self.rules}) != len(self.rules):
            raise ValueError("two high-cost rules take effect on the same day")
        if len({i.year for i in self.incomes}) != len(self.incomes):
            raise ValueError("two income figures for the same year")
        return self

    @classmethod
    def load(cls, path: Path = DATA) -> "HighCostData":
        """A file that does not fit stops the service from starting."""
        with path.open("rb") as f:
            return cls.model_validate(tomllib.load(f))

    def rule_on(self, day: date) -> AlertRule:
        in_force = [r for r in self.rules if r.effective_from <= day]
        if not in_force:
            raise no_rule_in_force(day)
        return max(in_force, key=lambda r: r.effective_from)

    def measure(self, last_day: date) -> "Measure":
        """What a run to `last_day` (a month's end) measures against."""
        rule = self.rule_on(last_day)
        income = self.income_for(last_day.year)
        return Measure(Lines.of(rule, income), rule.region_code, tuple(sorted(rule.monitored_categories)), income)

    def income_for(self, alert_year: int) -> IncomeFigure:
        """The figure a year's alerts are measured against: the previous year's (上年度)."""
        for figure in self.incomes:
            if figure.year == alert_year - 1:
                return figure
        raise income_figure_missing(alert_year)


def no_rule_in_force(day: date = date(2022, 12, 31)) -> Unprocessable:
    return Unprocessable(f"{day.isoformat()} 无高额费用预警监测规则施行（烟政办发〔2022〕25号 2023-01-01起施行） "
                         "(no high-cost monitoring rule in force on that day)", code="high_cost_rule_not_in_force")


def month_not_in_year(month: str = "2024-01", year: int = 2023) -> Unprocessable:
    return Unprocessable(f"月份{month}不在{year}年内 (the month is not in the year)", code="month_not_in_year")


def income_figure_missing(alert_year: int = 2025) -> Unprocessable:
    return Unprocessable(
        f"未配置{alert_year - 1}年全省居民人均可支配收入，无法计算{alert_year}年预警线 (no provincial per-capita "
        f"disposable income for {alert_year - 1}: {alert_year}'s alerts cannot be computed; add it to the data)",
        code="income_figure_missing")


@dataclass(frozen=True)
class PersonBurden:
    """A person-year's settlements in force up to a month's end, summed (repository.burdens)."""

    id_number: str
    burden: Decimal  # 经基本医保、大病保险、职工大额后个人累计负担
    settlements: int
    # The last discharge settled under each monitored identity; none settled under any identity at all.
    last_under: dict[Category, date]
    any_identity: bool


@dataclass(frozen=True)
class Flag:
    id_number: str
    threshold: Threshold
    category: Category | None
    burden: Decimal
    line: Decimal
    settlements: int


@dataclass(frozen=True)
class Lines:
    monitored: Decimal
    ordinary: Decimal

    @classmethod
    def of(cls, rule: AlertRule, income: IncomeFigure) -> "Lines":
        return cls(to_yuan(income.amount * rule.monitored_share), to_yuan(income.amount * rule.ordinary_share))

    @property
    def lowest(self) -> Decimal:
        return min(self.monitored, self.ordinary)


@dataclass(frozen=True)
class Measure:
    lines: Lines
    region_code: str  # the plan's policy region: only its settlements count
    monitored: tuple[Category, ...]
    income: IncomeFigure


def flag(person: PersonBurden, lines: Lines) -> Flag | None:
    """The group decides the line: settled under a monitored identity in the year (the latest such
    identity names the agency), or under no identity at all (an ordinary insured person); a person
    settled only under other identities is in neither list. 超过 is strictly above the line."""
    if person.last_under:
        category = max(person.last_under, key=lambda c: (person.last_under[c], c.value))
        threshold, line = Threshold.MONITORED, lines.monitored
    elif not person.any_identity:
        category, threshold, line = None, Threshold.ORDINARY, lines.ordinary
    else:
        return None
    if person.burden <= line:
        return None
    return Flag(person.id_number, threshold, category, person.burden, line, person.settlements)


def visible_categories(agency: Agency | None, rule_categories: frozenset[Category]) -> frozenset[Category] | None:
    """The monitored identities an agency's list holds: those whose lists it keeps (004 二: 低保边缘 civil
    affairs, 监测帮扶 rural revitalization); None for ops (every one). Ordinary persons are on both
    agencies' lists: either may take them in (因病致贫 by civil affairs, 监测帮扶 by rural revitalization)."""
    if agency is None:
        return None
    return frozenset(c for c in rule_categories if OWNER[c] is agency)


FLAGGED = "high_cost_alert.flagged"


def agencies_of(category: Category | None) -> list[Agency]:
    """Whose list a flag is on: the monitored identity's owner; both agencies for an ordinary person."""
    return [OWNER[category]] if category is not None else list(Agency)


def flagged_event(row: Any) -> Change:
    """The outbox event of a new flag (`row`: the flag as written). A flag changes no settlement, so it
    names no days (effective_from and effective_until null); `after.agencies` says whose list it is on."""
    category = Category(row.category) if row.category else None
    return Change(
        type=FLAGGED, id_number=row.id_number, effective_from=None, effective_until=None, occurred_at=row.flagged_at,
        after={"year": row.year, "month": row.month, "threshold": row.threshold, "category": row.category,
               "agencies": [a.value for a in agencies_of(category)], "burden": str(row.burden),
               "line": str(row.line), "income": str(row.income), "income_verified": row.income_verified,
               "settlements": row.settlements},
    )
