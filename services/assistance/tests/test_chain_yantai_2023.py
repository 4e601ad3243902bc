"""Yantai 2023 inpatient chain against the figures of POLICY.md §8 and seed 004, to the fen."""

from datetime import date
from decimal import Decimal as D

import pytest

from services.assistance.app import AssistanceSettings
from services.assistance.calculation.chain import calculate
from services.assistance.policies.book import NoPolicy, PolicyBook
from shared.contracts.calculation import Bill, CalculationRequest, YearToDate

BOOK = PolicyBook.load(AssistanceSettings.model_fields["policy_dir"].default)
_, YANTAI_2023 = BOOK.select("370602", date(2023, 3, 20))


def resident(identities: list[str], bill: Bill, ytd: YearToDate | None = None, insurance: str = "resident"):  # type: ignore[no-untyped-def]
    return calculate(YANTAI_2023, CalculationRequest(
        region_code="370602", insurance_type=insurance, medical_type="inpatient",
        discharged_on=date(2023, 3, 20), identities=identities, bill=bill, year_to_date=ytd or YearToDate(),
    ))


def test_policy_section_8_examples_1_and_2_in_order() -> None:
    first = resident(["minimum_allowance"], Bill(
        total=D("50000"), full_self_pay=D("3000"), pre_self_pay=D("2000"), basic_insurance_paid=D("26520"),
    ))
    assert (first.policy_range, first.basic_insurance, first.critical_illness) == (D("45000"), D("26520"), D("7462.00"))
    assert (first.assistance, first.re_assistance, first.personal_share) == (D("8814.40"), D("0"), D("7203.60"))
    assert first.identity_applied == "minimum_allowance"

    second = resident(["minimum_allowance"], Bill(
        total=D("120000"), full_self_pay=D("5000"), pre_self_pay=D("5000"), basic_insurance_paid=D("60000"),
    ), first.year_to_date_after)
    assert (second.critical_illness, second.assistance, second.re_assistance) == (D("32500"), D("14000"), D("492.52"))
    assert second.personal_share == D("13007.48")
    ytd = second.year_to_date_after
    assert ytd.critical_illness_burden == D("68480")
    assert ytd.assistance_paid == D("22814.40")
    assert ytd.re_assistance_base == D("5703.60")
    re_step = next(s for s in second.trace if s.rule == "re_assistance")
    assert (re_step.accumulator_before, re_step.accumulator_after) == (D("2203.60"), D("5703.60"))


def test_extreme_poverty_assistance_cap_is_crossed_inside_a_settlement() -> None:
    # 特困: 100%, cap 30,000 (004 §三(六)1). 25,000 already paid; base this time 18,480 − 7,462 = 11,018.
    result = resident(["extreme_poverty"], Bill(total=D("45000"), basic_insurance_paid=D("26520")),
                      YearToDate(assistance_base=D("25000"), assistance_paid=D("25000"),
                                 re_assistance_base=D("0")))
    assert result.assistance == D("5000.00")  # only the 5,000 left under the cap
    # remainder 6,018 (cumulative 0 → 6,018): (6,018 − 5,000) × 70% = 712.60
    assert result.re_assistance == D("712.60")
    assert result.personal_share == D("45000") - D("26520") - D("7462") - D("5000") - D("712.60")


def test_allowance_margin_threshold_and_cap() -> None:
    # 低保边缘: normal critical illness (14,000 threshold, 60%), assistance above 3,000 at 50%, cap 20,000.
    # R = 45,000 − 26,520 = 18,480; C = (18,480 − 14,000) × 60% = 2,688; A = 15,792.
    fresh = resident(["allowance_margin"], Bill(total=D("45000"), basic_insurance_paid=D("26520")))
    assert fresh.critical_illness == D("2688.00")
    assert fresh.assistance == D("6396.00")  # (15,792 − 3,000) × 50%
    # remainder 9,396 < 10,000 re-assistance threshold
    assert fresh.re_assistance == D("0")
    near_cap = resident(["allowance_margin"], Bill(total=D("45000"), basic_insurance_paid=D("26520")),
                        YearToDate(critical_illness_burden=D("20000"), assistance_base=D("40000"),
                                   assistance_paid=D("18500"), re_assistance_base=D("21500")))
    assert near_cap.assistance == D("1500.00")  # cap 20,000 − 18,500
    # critical illness on cumulative 20,000 → 38,480: 18,480 × 60% = 11,088; A = 7,392;
    # remainder 7,392 − 1,500 = 5,892 above the 10,000 already passed: × 70% = 4,124.40
    assert near_cap.critical_illness == D("11088.00")
    assert near_cap.re_assistance == D("4124.40")


def test_tilted_employee_and_no_identity() -> None:
    employee = resident(["returned_to_poverty"], Bill(total=D("30000"), basic_insurance_paid=D("20000")),
                        insurance="employee")
    assert employee.critical_illness == D("3400.00")  # (10,000 − 6,000) × 85%
    assert employee.assistance == D("4620.00")  # (10,000 − 3,400) × 70%
    nobody = resident([], Bill(total=D("30000"), basic_insurance_paid=D("20000")), insurance="employee")
    assert nobody.critical_illness == D("0")  # 10,000 below the normal 12,000 threshold
    assert (nobody.assistance, nobody.identity_applied) == (D("0"), None)
    assert nobody.personal_share == D("10000")
    assert nobody.year_to_date_after.assistance_base == D("0")  # no identity: not accumulated


def test_several_identities_pay_the_most() -> None:
    bill = Bill(total=D("45000"), basic_insurance_paid=D("26520"))
    result = resident(["allowance_margin", "minimum_allowance"], bill)
    assert result.identity_applied == "minimum_allowance"
    assert {a.identity: a.assistance_total for a in result.alternatives} == {
        "minimum_allowance": D("8814.40"), "allowance_margin": D("4009.00"),
    }


def test_policy_selection_by_region_and_date() -> None:
    assert BOOK.select("370671", date(2023, 1, 1))[0].id == "yantai-2023"
    assert BOOK.select("370671", date(2022, 12, 31))[0].id == "yantai-2018-development-zone"
    assert BOOK.select("370602", date(2022, 12, 31))[0].id == "yantai-2018"
    assert BOOK.select("370405", date(2023, 5, 1))[0].id == "taierzhuang-2017"
    with pytest.raises(NoPolicy) as before_any:
        BOOK.select("370602", date(2018, 5, 21))
    assert before_any.value.code == "no_policy"
    with pytest.raises(NoPolicy) as nowhere:
        BOOK.select("110101", date(2023, 5, 1))
    assert nowhere.value.code == "no_policy"
