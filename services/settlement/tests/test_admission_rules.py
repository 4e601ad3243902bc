"""Treat first, pay later (004 §四(十)): every condition an admission misses is a reason of its own."""

from datetime import date

from services.settlement.admissions.rules import TreatFirstPayLater, deposit_reasons
from shared.categories import Category

RULE = TreatFirstPayLater(
    frozenset({Category.EXTREME_POVERTY, Category.MINIMUM_ALLOWANCE, Category.RETURNED_TO_POVERTY}),
    "370600", date(2023, 1, 1),
)
REFERRED = date(2023, 4, 1)


def test_referred_低保_at_a_yantai_hospital_under_the_2023_plan_pays_later() -> None:
    assert deposit_reasons(RULE, [Category.MINIMUM_ALLOWANCE], "370672", date(2023, 4, 2), REFERRED) == []
    assert deposit_reasons(RULE, [Category.ALLOWANCE_MARGIN, Category.RETURNED_TO_POVERTY], "370602",
                           date(2023, 1, 1), REFERRED) == []


def test_each_missing_condition_is_named() -> None:
    reasons = deposit_reasons(RULE, [Category.ALLOWANCE_MARGIN], "370405", date(2022, 12, 31), None)
    assert len(reasons) == 4
    assert ["2023-01-01" in reasons[0], "特困人员" in reasons[1], "首诊转诊" in reasons[2], "370600" in reasons[3]] == [
        True, True, True, True]
    assert all("(" in reason and reason.endswith(")") for reason in reasons)  # Chinese, then English
    assert deposit_reasons(RULE, [Category.MINIMUM_ALLOWANCE], "370602", date(2023, 4, 2), None) == [
        "无基层医疗卫生机构首诊转诊 (no referral from a primary-care institution)"]
