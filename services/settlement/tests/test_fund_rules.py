"""The fund flow's pure rules: whose district a settlement draws on, the month's bounds in Beijing
time, and the days-of-cover warning."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from services.settlement.fund.rules import Standing, cover, drawing_region, in_account, month_of
from shared.errors import Problem


def test_care_inside_the_city_draws_on_the_hospitals_district() -> None:
    assert drawing_region("370602", "370601") == "370601"  # a 芝罘区 resident at 毓璜顶医院 (市直)
    assert drawing_region("370684", "370602") == "370602"
    assert drawing_region(None, "370613") == "370613"  # not in the registry: no assistance anyway


def test_care_outside_the_city_draws_on_the_persons_district() -> None:
    assert drawing_region("370602", "370102") == "370602"  # a filed stay or a manual claim in Jinan


def test_the_citys_account_holds_every_district_and_a_district_only_its_own() -> None:
    assert in_account("370602", "370600") and in_account("370600", "370600") and in_account("370601", "370600")
    assert not in_account("370405", "370600") and not in_account(None, "370600")
    assert in_account("370602", "370602") and not in_account("370611", "370602")


def test_a_month_runs_from_midnight_to_midnight_in_beijing() -> None:
    start, end = month_of("2023-03", date(2023, 3, 5)).bounds()
    assert start == datetime(2023, 2, 28, 16, tzinfo=UTC) and end == datetime(2023, 3, 31, 16, tzinfo=UTC)


@pytest.mark.parametrize(("text", "code"), [
    ("2023-13", "invalid_month"), ("202303", "invalid_month"), ("1899-12", "invalid_month"),
    ("2023-04", "month_in_future"),
])
def test_a_month_not_begun_or_not_a_month_is_refused(text: str, code: str) -> None:
    with pytest.raises(Problem) as raised:
        month_of(text, date(2023, 3, 31))
    assert raised.value.code == code


def test_days_of_cover_at_the_windows_daily_draw() -> None:
    # 30 days drawing 14,492.52 (Example 2's assistance 14,000.00 and re-assistance 492.52): 483.084 a day
    found = cover(Decimal("6693.08"), Decimal("14492.52"), 30, Decimal(15))
    assert found == type(found)(Standing.LOW, Decimal("13.9"))
    assert cover(Decimal("7300.00"), Decimal("14492.52"), 30, Decimal(15)).standing == Standing.OK  # 15.1 days
    assert cover(Decimal("100.00"), Decimal("0.00"), 30, Decimal(15)) == type(found)(Standing.OK, None)
    assert cover(Decimal("-0.01"), Decimal("0.00"), 30, Decimal(15)).standing == Standing.NEGATIVE
