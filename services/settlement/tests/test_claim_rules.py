"""The claim period's rules, without a server: periods, deadlines, business days, which rule applies."""

from datetime import UTC, date, datetime

import pytest

from services.settlement.claims.rules import (
    Payee,
    PeriodRule,
    Status,
    due_on,
    instants,
    is_over,
    is_past_due,
    period_of,
    rule_for,
)


def rule(rule_id: str, region: str, months: int, effective_from: date, effective_until: date | None = None,
         due_months: int | None = None) -> PeriodRule:
    return PeriodRule(id=rule_id, region_code=region, effective_from=effective_from, effective_until=effective_until,
                      months=months, due_months=due_months, payees=(Payee.HOSPITAL,), documents=(), source="")


YANTAI_2018 = rule("yantai-2018", "370600", 1, date(2018, 5, 22), date(2020, 8, 1))
YANTAI_2020 = rule("yantai-2020", "370600", 1, date(2020, 8, 1), due_months=1)
TAIERZHUANG = rule("taierzhuang-2017", "370405", 3, date(2017, 5, 1))
RULES = [YANTAI_2018, YANTAI_2020, TAIERZHUANG]


@pytest.mark.parametrize(("region", "on", "expected"), [
    ("370602", date(2026, 10, 15), YANTAI_2020),  # a Yantai district: the city's rule
    ("370672", date(2020, 7, 31), YANTAI_2018),   # the development zone, before the 2020 guide
    ("370405", date(2017, 5, 1), TAIERZHUANG),
    ("370405", date(2017, 4, 30), None),          # before the district's plan
    ("370102", date(2026, 10, 15), None),         # Jinan: no rule
])
def test_the_rule_of_the_most_specific_region_in_force(region: str, on: date, expected: PeriodRule | None) -> None:
    assert rule_for(RULES, region, on) == expected


@pytest.mark.parametrize(("on", "bounds"), [
    (date(2026, 2, 14), (date(2026, 2, 1), date(2026, 2, 28))),
    (date(2024, 2, 29), (date(2024, 2, 1), date(2024, 2, 29))),
    (date(2026, 12, 31), (date(2026, 12, 1), date(2026, 12, 31))),
])
def test_a_yantai_period_is_a_calendar_month(on: date, bounds: tuple[date, date]) -> None:
    assert period_of(YANTAI_2020, on) == bounds


@pytest.mark.parametrize(("on", "bounds"), [
    (date(2026, 1, 1), (date(2026, 1, 1), date(2026, 3, 31))),
    (date(2026, 5, 31), (date(2026, 4, 1), date(2026, 6, 30))),
    (date(2026, 9, 30), (date(2026, 7, 1), date(2026, 9, 30))),
    (date(2026, 11, 30), (date(2026, 10, 1), date(2026, 12, 31))),
])
def test_a_taierzhuang_period_is_a_calendar_quarter(on: date, bounds: tuple[date, date]) -> None:
    assert period_of(TAIERZHUANG, on) == bounds


def test_yantai_pays_by_the_end_of_the_next_month_and_taierzhuang_sets_no_day() -> None:
    assert due_on(YANTAI_2020, date(2026, 1, 31)) == date(2026, 2, 28)
    assert due_on(YANTAI_2020, date(2026, 12, 31)) == date(2027, 1, 31)
    assert due_on(YANTAI_2018, date(2019, 1, 31)) is None
    assert due_on(TAIERZHUANG, date(2026, 9, 30)) is None


def test_a_period_is_its_business_days_in_shanghai() -> None:
    # 00:00 in Shanghai is 16:00 UTC the day before: a settlement at 2026-09-30T16:30Z is October's.
    assert instants(date(2026, 10, 1), date(2026, 10, 31)) == (
        datetime(2026, 9, 30, 16, tzinfo=UTC), datetime(2026, 10, 31, 16, tzinfo=UTC))


def test_a_period_closes_after_its_last_day_and_is_past_due_unpaid_after_its_deadline() -> None:
    assert not is_over(date(2026, 10, 31), date(2026, 10, 31))
    assert is_over(date(2026, 10, 31), date(2026, 11, 1))
    assert not is_past_due(Status.APPROVED, date(2026, 11, 30), date(2026, 11, 30))
    assert is_past_due(Status.APPROVED, date(2026, 11, 30), date(2026, 12, 1))
    assert is_past_due(Status.CLOSED, date(2026, 11, 30), date(2026, 12, 1))
    assert not is_past_due(Status.PAID, date(2026, 11, 30), date(2026, 12, 1))
    assert not is_past_due(Status.CLOSED, None, date(2030, 1, 1))
