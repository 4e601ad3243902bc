"""docs/rules.md §8 through the chain in sequence (each result's accumulators feed the next), and policy
selection. Single settlements of every policy are in cases/."""

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


def test_policy_selection_by_region_and_date() -> None:
    assert BOOK.select("370672", date(2023, 1, 1))[0].id == "yantai-2023"
    assert BOOK.select("370672", date(2022, 12, 31))[0].id == "yantai-2018-development-zone"
    assert BOOK.select("370602", date(2022, 12, 31))[0].id == "yantai-2018"
    assert BOOK.select("370405", date(2023, 5, 1))[0].id == "taierzhuang-2017"
    with pytest.raises(NoPolicy) as before_any:
        BOOK.select("370602", date(2018, 5, 21))
    assert before_any.value.code == "no_policy"
    with pytest.raises(NoPolicy) as nowhere:
        BOOK.select("110101", date(2023, 5, 1))
    assert nowhere.value.code == "no_policy"
