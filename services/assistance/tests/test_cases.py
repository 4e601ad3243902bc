"""The case files of tests/cases/: inputs and amounts worked by hand from the documents, one
line of reasoning each, run through policy selection and the chain.

A case file is checked before it runs: a key the runner does not know (a typo such as `asistance`)
fails loudly instead of being ignored, and a year-to-date that no sequence of settlements could
have left behind (e.g. an assistance base with nothing left for re-assistance) is refused, since
figures worked from an impossible year prove nothing."""

import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from services.assistance.calculation.chain import NotComputable, calculate
from services.assistance.policies.book import PolicyBook
from services.assistance.settings import AssistanceSettings
from shared.contracts.calculation import CalculationRequest, CalculationResult, YearToDate

BOOK = PolicyBook.load(AssistanceSettings.model_fields["policy_dir"].default)
CASES_DIR = Path(__file__).parent / "cases"
AMOUNTS = ("policy_range", "basic_insurance", "critical_illness", "special_drugs", "large_expense",
           "other_payments", "assistance", "re_assistance", "personal_share")
FILE_KEYS = {"policy", "region_code", "discharged_on", "case"}
CASE_KEYS = {"name", "reason", "request", "expect", "expect_error", "allow_unverified"}
EXPECT_KEYS = {*AMOUNTS, "identity_applied", "alternatives", "reason_contains", "trace_contains", "source_contains",
               "grant_assistance_paid", "grant_assistance_base", "assistance_paid_ordinary_after"}


class CaseFileError(ValueError):
    """A case file the runner cannot trust: an unknown key or an impossible year-to-date."""


def impossible_year_to_date(ytd: YearToDate) -> list[str]:
    """What no sequence of settlements through the chain could leave behind (every settlement keeps
    these), e.g. an assistance base of 40,000 whose re-assistance base is 0."""
    faults = []
    if ytd.re_assistance_base != ytd.assistance_base - ytd.assistance_paid:
        faults.append("re_assistance_base must be assistance_base − assistance_paid (what assistance left)")
    if ytd.assistance_paid != ytd.assistance_paid_inpatient + ytd.assistance_paid_outpatient:
        faults.append("assistance_paid must be assistance_paid_inpatient + assistance_paid_outpatient")
    if ytd.assistance_paid_ordinary > ytd.assistance_paid:
        faults.append("assistance_paid_ordinary is part of assistance_paid")
    for paid, base in (("critical_illness_paid", "critical_illness_burden"),
                       ("special_drugs_paid", "special_drugs_cost"), ("large_expense_paid", "large_expense_base"),
                       ("assistance_paid", "assistance_base"), ("re_assistance_paid", "re_assistance_base")):
        if getattr(ytd, paid) > getattr(ytd, base):
            faults.append(f"{paid} above {base} (no ratio is above 100%)")
    left_after_insurance = (ytd.critical_illness_burden - ytd.critical_illness_paid + ytd.special_drugs_cost
                            - ytd.special_drugs_paid - ytd.large_expense_paid)
    if ytd.assistance_base > left_after_insurance:
        faults.append("assistance_base above what insurance left (critical_illness_burden − critical_illness_paid"
                      " + special_drugs_cost − special_drugs_paid − large_expense_paid)")
    return faults


def _unknown(keys: Any, known: set[str], where: str) -> None:
    unknown = sorted(set(keys) - known)
    if unknown:
        raise CaseFileError(f"{where}: unknown key(s) {unknown}; known: {sorted(known)}")


def load_cases(path: Path) -> list[Any]:
    """The cases of one file as test parameters, after checking every key and year-to-date."""
    with path.open("rb") as f:
        book = tomllib.load(f)
    _unknown(book, FILE_KEYS, path.name)
    cases = []
    for case in book["case"]:
        where = f"{path.name}, case {case.get('name')!r}"
        _unknown(case, CASE_KEYS, where)
        _unknown(case.get("expect", {}), EXPECT_KEYS, f"{where}, expect")
        if ("expect" in case) == ("expect_error" in case):
            raise CaseFileError(f"{where}: give exactly one of expect and expect_error")
        request = {"region_code": book["region_code"], "hospital_region_code": book["region_code"],
                   "discharged_on": book["discharged_on"], "insurance_type": "resident",
                   "medical_type": "inpatient", **case["request"]}
        faults = impossible_year_to_date(YearToDate.model_validate(request.get("year_to_date", {})))
        if faults:
            raise CaseFileError(f"{where}: impossible year_to_date: {'; '.join(faults)}")
        cases.append(pytest.param(book["policy"], request, case, id=f"{path.stem}: {case['name']}"))
    return cases


def _cases() -> list[Any]:
    return [case for path in sorted(CASES_DIR.glob("*.toml")) for case in load_cases(path)]


def test_every_policy_has_cases() -> None:
    assert {path.stem for path in CASES_DIR.glob("*.toml")} == set(BOOK.parameters)


CASE = """policy = "yantai-2023"
region_code = "370602"
discharged_on = "2023-03-20"

[[case]]
name = "a case"
reason = "why"
request = {{ identities = ["minimum_allowance"], bill = {{ total = "100" }}{ytd} }}
{expect}
"""


@pytest.mark.parametrize(("ytd", "expect", "message"), [
    ("", 'expect = { asistance = "0" }', "unknown key(s) ['asistance']"),
    ("", 'expect = { assistance = "0" }\nallow_unverifed = true', "unknown key(s) ['allow_unverifed']"),
    ("", 'expect = { assistance = "0" }\nexpect_error = "no_policy"', "exactly one of expect and expect_error"),
    (', year_to_date = { assistance_base = "40000", assistance_paid = "29000", assistance_paid_inpatient = "29000" }',
     'expect = { assistance = "0" }', "re_assistance_base must be assistance_base − assistance_paid"),
])
def test_a_case_file_the_runner_cannot_trust_fails_loudly(tmp_path: Path, ytd: str, expect: str, message: str) -> None:
    path = tmp_path / "yantai-2023.toml"
    path.write_text(CASE.format(ytd=ytd, expect=expect), encoding="utf-8")
    with pytest.raises(CaseFileError) as refused:
        load_cases(path)
    assert message in str(refused.value)
    assert "'a case'" in str(refused.value)


def test_a_reachable_year_to_date_passes() -> None:
    """POLICY example 1's year-to-date after it (what example 2 starts from) is consistent."""
    assert impossible_year_to_date(YearToDate(
        admissions=1, basic_paid=Decimal("26520"), critical_illness_burden=Decimal("18480"),
        critical_illness_paid=Decimal("7462"), assistance_base=Decimal("11018"), assistance_paid=Decimal("8814.40"),
        assistance_paid_inpatient=Decimal("8814.40"), re_assistance_base=Decimal("2203.60"),
    )) == []


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
