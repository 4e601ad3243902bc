"""The claim period's rules, pure: which rule a hospital's district follows on a date, the period a
date falls in, its deadline, and the order of a period's steps."""

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from shared.clock import SHANGHAI
from shared.regions import enclosing_regions


class Status(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    REVIEWED = "reviewed"
    APPROVED = "approved"
    PAID = "paid"


UNPAID = (Status.CLOSED, Status.REVIEWED, Status.APPROVED)
"""A claim waiting for its money: past its deadline in one of these, it is past due."""


class Payee(StrEnum):
    HOSPITAL = "hospital"  # the designated hospital that advanced the funds
    PASSBOOK = "passbook"  # the person's passbook (台民字〔2017〕26号 五（三）3, the township channel)


@dataclass(frozen=True, slots=True)
class PeriodRule:
    id: str
    region_code: str
    effective_from: date
    effective_until: date | None  # first day no longer in force
    months: int
    due_months: int | None
    payees: tuple[Payee, ...]
    documents: tuple[tuple[str, str], ...]  # (code, label)
    source: str

    def in_force(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_until is None or on < self.effective_until)


def rule_for(rules: list[PeriodRule], hospital_region: str, on: date) -> PeriodRule | None:
    """The rule of the most specific region enclosing the hospital's district, in force on `on`."""
    for region in enclosing_regions(hospital_region):
        for rule in rules:
            if rule.region_code == region and rule.in_force(on):
                return rule
    return None


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + months
    return index // 12, index % 12 + 1


def _last_day(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def period_of(rule: PeriodRule, on: date) -> tuple[date, date]:
    """(first day, last day) of the calendar-aligned period containing `on`: its month, its quarter."""
    first_month = (on.month - 1) // rule.months * rule.months + 1
    year, last_month = _add_months(on.year, first_month, rule.months - 1)
    return date(on.year, first_month, 1), _last_day(year, last_month)


def due_on(rule: PeriodRule, ends_on: date) -> date | None:
    """The last day of the `due_months`-th month after the period's last (Yantai: the next month's end)."""
    if rule.due_months is None:
        return None
    return _last_day(*_add_months(ends_on.year, ends_on.month, rule.due_months))


def instants(starts_on: date, ends_on: date) -> tuple[datetime, datetime]:
    """The period's business days in Asia/Shanghai as UTC instants [start, end), as settled_at is kept."""
    return (datetime.combine(starts_on, time(), SHANGHAI).astimezone(UTC),
            datetime.combine(ends_on + timedelta(days=1), time(), SHANGHAI).astimezone(UTC))


def is_over(ends_on: date, today: date) -> bool:
    """A period closes once its last day has passed: no settlement can join it any more."""
    return today > ends_on


def is_past_due(status: Status, due: date | None, today: date) -> bool:
    return status in UNPAID and due is not None and today > due
