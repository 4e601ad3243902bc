"""The case files of tests/cases/: inputs and amounts worked by hand from the documents, one
line of reasoning each, run through policy selection and the chain."""

import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from services.assistance.calculation.chain import NotComputable, calculate
from services.assistance.policies.book import PolicyBook
from services.assistance.settings import AssistanceSettings
from shared.contracts.calculation import CalculationRequest, CalculationResult

BOOK = PolicyBook.load(AssistanceSettings.model_fields["policy_dir"].default)
CASES_DIR = Path(__file__).parent / "cases"
AMOUNTS = ("policy_range", "basic_insurance", "critical_illness", "special_drugs", "large_expense",
           "other_payments", "assistance", "re_assistance", "personal_share")


def _cases() -> list[Any]:
    cases = []
    for path in sorted(CASES_DIR.glob("*.toml")):
        with path.open("rb") as f:
            book = tomllib.load(f)
        for case in book["case"]:
            request = {"region_code": book["region_code"], "hospital_region_code": book["region_code"],
                       "discharged_on": book["discharged_on"], "insurance_type": "resident",
                       "medical_type": "inpatient", **case["request"]}
            cases.append(pytest.param(book["policy"], request, case, id=f"{path.stem}: {case['name']}"))
    return cases


def test_every_policy_has_cases() -> None:
    assert {path.stem for path in CASES_DIR.glob("*.toml")} == set(BOOK.parameters)


@pytest.mark.parametrize(("policy_id", "request_data", "case"), _cases())
def test_case(policy_id: str, request_data: dict[str, Any], case: dict[str, Any]) -> None:
    assert case["reason"], "every case says why"
    request = CalculationRequest.model_validate(request_data)
    info, policy = BOOK.select(request.region_code, request.discharged_on)
    assert info.id == policy_id
    allow = case.get("allow_unverified", False)  # placeholder figures pay only when a case says so
    if "expect_error" in case:
        with pytest.raises(NotComputable) as refused:
            calculate(policy, request, allow_unverified=allow)
        assert refused.value.code == case["expect_error"]
        return
    result = calculate(policy, request, allow_unverified=allow)
    CalculationResult.model_validate(result, from_attributes=True)  # what the API sends: it must fit the contract
    expect = case["expect"]
    for name in AMOUNTS:
        if name in expect:
            assert getattr(result, name) == Decimal(expect[name]), name
    if "identity_applied" in expect:
        assert result.identity_applied == expect["identity_applied"]
    if "alternatives" in expect:
        assert {a.identity.value: a.assistance_total for a in result.alternatives} == {
            k: Decimal(v) for k, v in expect["alternatives"].items()
        }
    if "reason_contains" in expect:
        assert expect["reason_contains"] in (result.reason or "")
    if "trace_contains" in expect:
        assert any(expect["trace_contains"] in step.label for step in result.trace)
    if "source_contains" in expect:
        assert any(expect["source_contains"] in (step.source or "") for step in result.trace)
    if "grant_assistance_paid" in expect:
        assert result.illness_poverty_grant_after is not None
        assert result.illness_poverty_grant_after.assistance_paid == Decimal(expect["grant_assistance_paid"])
    if "grant_assistance_base" in expect:
        assert result.illness_poverty_grant_after.assistance_base == Decimal(expect["grant_assistance_base"])
    if "assistance_paid_ordinary_after" in expect:
        assert result.year_to_date_after.assistance_paid_ordinary == Decimal(expect["assistance_paid_ordinary_after"])
    funds = (result.basic_insurance + result.critical_illness + result.special_drugs + result.large_expense
             + result.other_payments + result.assistance + result.re_assistance)
    assert funds + result.personal_share == request.bill.total
