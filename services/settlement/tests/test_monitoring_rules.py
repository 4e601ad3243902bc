"""Hospital monitoring's period and share rules (004 §四(十); docs/rules.md §10), pure."""

from datetime import date
from decimal import Decimal as D

import pytest

from services.settlement.monitoring.rules import HospitalCosts, Period, above, period_of
from shared.errors import Unprocessable


@pytest.mark.parametrize(("month", "first", "last"), [
    ("2023-03", date(2023, 3, 1), date(2023, 3, 31)),
    ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),  # a leap year
    ("2023-02", date(2023, 2, 1), date(2023, 2, 28)),
    ("2023-12", date(2023, 12, 1), date(2023, 12, 31)),
    ("2023-04", date(2023, 4, 1), date(2023, 4, 30)),
])
def test_a_month_is_its_first_to_its_last_day(month: str, first: date, last: date) -> None:
    assert period_of(month, None, None) == Period(first, last)


def test_a_range_is_taken_as_given_both_days_included_up_to_a_year() -> None:
    assert period_of(None, date(2023, 3, 20), date(2023, 3, 20)) == Period(date(2023, 3, 20), date(2023, 3, 20))
    assert period_of(None, date(2024, 1, 1), date(2024, 12, 31)) == Period(date(2024, 1, 1), date(2024, 12, 31))


@pytest.mark.parametrize(("month", "from_date", "to_date", "code"), [
    ("2023-13", None, None, "invalid_period"),
    ("2023-00", None, None, "invalid_period"),
    ("2023-3", None, None, "invalid_period"),
    ("202３-03", None, None, "invalid_period"),  # a full-width digit
    ("2023-03-01", None, None, "invalid_period"),
    ("1899-12", None, None, "invalid_period"),  # before any business date
    ("2100-01", None, None, "invalid_period"),
    ("", None, None, "invalid_period"),
    ("2023-03", date(2023, 3, 1), None, "invalid_period"),  # both ways of saying the period
    (None, None, None, "invalid_period"),
    (None, date(2023, 3, 1), None, "invalid_period"),  # half a range
    (None, None, date(2023, 3, 1), "invalid_period"),
    (None, date(2023, 3, 2), date(2023, 3, 1), "invalid_date_range"),
    (None, date(2023, 1, 1), date(2024, 1, 2), "date_range_too_long"),  # 367 days
])
def test_a_bad_period_is_refused_with_its_code(
    month: str | None, from_date: date | None, to_date: date | None, code: str,
) -> None:
    with pytest.raises(Unprocessable) as refused:
        period_of(month, from_date, to_date)
    assert refused.value.code == code
    assert "(" in refused.value.detail  # Chinese first, English in brackets


# Hospital A: 3,000 of 50,000 and 9,000 of 20,000 in full self-pay; B: 1,000 of 50,000.
A = HospitalCosts("060001", 2, D("70000.00"), D("12000.00"), D("1500.00"))
B = HospitalCosts("060002", 1, D("50000.00"), D("1000.00"), D("0.00"))


def test_the_share_is_the_sum_of_full_self_pay_over_the_sum_of_totals_to_four_places() -> None:
    [row] = above([A, B], D("0.10"))
    assert row.model_dump(mode="json") == {
        "hospital_code": "060001", "settlements": 2, "total_cost": "70000.00", "out_of_catalog_cost": "12000.00",
        "share": "0.1714",  # 12,000 / 70,000 = 0.171428…
        "over_limit_cost": "1500.00", "share_with_over_limit": "0.1929",  # 13,500 / 70,000 = 0.192857…
    }


def test_the_hospitals_above_the_share_are_listed_highest_first_ties_by_code() -> None:
    c = HospitalCosts("060003", 1, D("20000.00"), D("400.00"), D("0.00"))  # 0.02, as B
    assert [r.hospital_code for r in above([B, c, A], D("0.01"))] == ["060001", "060002", "060003"]
    assert [r.hospital_code for r in above([B, c, A], D("0"))] == ["060001", "060002", "060003"]
    assert above([A, B], D("1")) == []


def test_above_is_strictly_above_and_compared_before_rounding() -> None:
    exactly = HospitalCosts("060004", 1, D("10000.00"), D("1000.00"), D("0.00"))  # 0.1000
    just_over = HospitalCosts("060005", 1, D("100000.00"), D("10000.04"), D("0.00"))  # 0.1000004
    rows = above([exactly, just_over], D("0.1"))
    assert [(r.hospital_code, r.share) for r in rows] == [("060005", D("0.1000"))]


def test_a_hospital_whose_bills_cost_nothing_has_no_share_and_is_never_listed() -> None:
    free = HospitalCosts("060006", 1, D("0.00"), D("0.00"), D("0.00"))
    assert above([free], D("0")) == []
