"""Issue 13's corrections that are more than a case file: the placeholder figures a policy holds and
the ones a settlement used, the employee large-expense subsidy (hifob_pay), the switchable
Tai'erzhuang outpatient benefit."""

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import KEY_SETTINGS, asgi_client
from services.assistance.app import create_app
from services.assistance.calculation.chain import NotComputable, calculate
from services.assistance.policies.book import PolicyBook
from services.assistance.settings import AssistanceSettings
from shared.auth import Role
from shared.contracts.calculation import Bill, CalculationRequest

DATA = AssistanceSettings.model_fields["policy_dir"].default
BOOK = PolicyBook.load(DATA)
# Yantai 2023, 低保, basic insurance left to the placeholder schedule (docs/rules.md §4 step 2).
WITHOUT_BASIC = {
    "region_code": "370602", "insurance_type": "resident", "medical_type": "inpatient",
    "hospital_level": "level_2", "discharged_on": "2023-03-20", "identities": ["minimum_allowance"],
    "bill": {"total": "50000", "full_self_pay": "3000", "pre_self_pay": "2000"},
}


async def test_a_policy_lists_every_placeholder_with_its_verified_flag(auth) -> None:  # type: ignore[no-untyped-def]
    app = create_app(AssistanceSettings(**KEY_SETTINGS, log_json=False))
    async with asgi_client(app) as client:
        answers = {policy_id: (await client.get(f"/v1/policies/{policy_id}", headers=auth(Role.OPS))).json()
                   for policy_id in BOOK.parameters}
        in_force = await client.get("/v1/policies/in-force", params={"region_code": "370602", "on": "2023-06-01"},
                                    headers=auth(Role.OPS))
    listed = {p["parameter"]: p["verified"] for p in answers["yantai-2023"]["placeholders"]}
    # What docs/rules.md §4 says the documents do not give: the basic schedule, the normal
    # critical-illness caps, the normal special-drug ratio and cap.
    assert listed == {
        "basic_insurance": False,
        "critical_illness.normal.resident.annual_cap": False,
        "critical_illness.normal.employee.annual_cap": False,
        "critical_illness.special_drugs.normal": False,
    }
    assert in_force.json()["placeholders"] == answers["yantai-2023"]["placeholders"]
    assert all(answer["unverified_allowed"] is False for answer in answers.values())
    # The 2018 and Tai'erzhuang figures are all in their documents; the zone's are the city's.
    for policy_id in ("yantai-2018", "yantai-2018-development-zone", "taierzhuang-2017"):
        assert answers[policy_id]["placeholders"] == [], policy_id


async def test_a_deployment_that_allows_placeholders_gets_them_named(auth) -> None:  # type: ignore[no-untyped-def]
    refusing = create_app(AssistanceSettings(**KEY_SETTINGS, log_json=False))
    allowing = create_app(AssistanceSettings(**KEY_SETTINGS, log_json=False, allow_unverified=True))
    async with asgi_client(refusing) as client:
        refused = await client.post("/v1/calculations", json=WITHOUT_BASIC, headers=auth(Role.SERVICE))
    async with asgi_client(allowing) as client:
        paid = await client.post("/v1/calculations", json=WITHOUT_BASIC, headers=auth(Role.SERVICE))
        policy = await client.get("/v1/policies/yantai-2023", headers=auth(Role.OPS))
    assert refused.status_code == 422 and refused.json()["code"] == "unverified_parameters"
    body = paid.json()
    # level 2, first admission: (45,000 − 600) × 80% = 35,520 from the placeholder schedule
    assert (paid.status_code, body["basic_insurance"]) == (200, "35520.00")
    assert body["unverified_parameters"] == ["basic_insurance"]
    [note] = [step for step in body["trace"] if step["rule"] == "unverified_parameters"]
    assert "basic_insurance" in note["label"]
    assert policy.json()["unverified_allowed"] is True
    given = {**WITHOUT_BASIC, "bill": {**WITHOUT_BASIC["bill"], "basic_insurance_paid": "26520"}}
    async with asgi_client(allowing) as client:
        verified_only = await client.post("/v1/calculations", json=given, headers=auth(Role.SERVICE))
    assert verified_only.json()["unverified_parameters"] == []
    assert not [s for s in verified_only.json()["trace"] if s["rule"] == "unverified_parameters"]


def _employee(bill: Bill, insurance_type: str = "employee") -> CalculationRequest:
    return CalculationRequest(region_code="370602", insurance_type=insurance_type, medical_type="inpatient",
                              discharged_on=date(2023, 3, 20), identities=["minimum_allowance"], bill=bill)


EMPLOYEE_BILL = {"total": Decimal("100000"), "full_self_pay": Decimal("5000"), "pre_self_pay": Decimal("5000"),
                 "basic_insurance_paid": Decimal("60000")}


def test_hifob_pay_given_by_the_core_wins_over_a_configured_schedule(tmp_path: Path) -> None:
    shutil.copytree(DATA, tmp_path / "data")
    with (tmp_path / "data" / "yantai-2023.toml").open("a", encoding="utf-8") as f:
        f.write('\n[large_expense]\nsource = "test"\nthreshold = "1000"\nratio = "0.50"\nannual_cap = "2000"\n')
    policy = PolicyBook.load(tmp_path / "data").parameters["yantai-2023"]
    given = calculate(policy, _employee(Bill(**EMPLOYEE_BILL, large_expense_paid=Decimal("500"))))
    scheduled = calculate(policy, _employee(Bill(**EMPLOYEE_BILL)))
    # R = 30,000, C = 20,400; given: H = 500, A = 9,100 × 80% = 7,280
    assert (given.large_expense, given.assistance, given.large_expense_source) == (
        Decimal("500"), Decimal("7280.00"), "given")
    # schedule: (9,600 − 1,000) × 50% = 4,300 held to 2,000; A = 7,600 × 80% = 6,080
    assert (scheduled.large_expense, scheduled.assistance, scheduled.large_expense_source) == (
        Decimal("2000.00"), Decimal("6080.00"), "schedule")
    assert given.year_to_date_after.large_expense_paid == Decimal("500")


def test_an_employee_statement_without_hifob_pay_says_so_and_a_resident_one_does_not() -> None:
    policy = BOOK.parameters["yantai-2023"]
    employee = calculate(policy, _employee(Bill(**EMPLOYEE_BILL)))
    resident = calculate(policy, _employee(Bill(**EMPLOYEE_BILL), "resident"))
    assert employee.large_expense_source == "missing"
    assert [s.rule for s in employee.trace].count("large_expense_missing") == 1
    assert employee.year_to_date_after.large_expense_base == 0  # nothing was computed, nothing accumulates
    assert resident.large_expense_source is None
    assert "large_expense_missing" not in [s.rule for s in resident.trace]


@pytest.mark.parametrize(("insurance_type", "paid", "code"), [
    ("resident", "100", "large_expense_not_applicable"),
    ("employee", "9600.01", "large_expense_exceeds_burden"),  # C was computed: 30,000 − 20,400 left
])
def test_a_large_expense_amount_that_cannot_be_is_refused(insurance_type: str, paid: str, code: str) -> None:
    bill = Bill(**EMPLOYEE_BILL, large_expense_paid=Decimal(paid))
    with pytest.raises(NotComputable) as refused:
        calculate(BOOK.parameters["yantai-2023"], _employee(bill, insurance_type))
    assert refused.value.code == code


def test_hifob_pay_beyond_the_policy_range_is_a_bad_bill() -> None:
    with pytest.raises(ValueError, match="large_expense_paid exceeds"):
        Bill(total=Decimal("1000"), basic_insurance_paid=Decimal("600"), critical_illness_paid=Decimal("300"),
             large_expense_paid=Decimal("101"))


def test_the_taierzhuang_outpatient_benefit_can_be_switched_off(tmp_path: Path) -> None:
    shutil.copytree(DATA, tmp_path / "data")
    path = tmp_path / "data" / "taierzhuang-2017.toml"
    path.write_text(path.read_text(encoding="utf-8").replace("enabled = true", "enabled = false"), encoding="utf-8")
    policy = PolicyBook.load(tmp_path / "data").parameters["taierzhuang-2017"]
    bill = Bill(total=Decimal("1000"), basic_insurance_paid=Decimal("400"), critical_illness_paid=Decimal("0"))

    def settle(medical_type: str) -> tuple[Decimal, str | None]:
        result = calculate(policy, CalculationRequest(
            region_code="370405", hospital_region_code="370405", insurance_type="resident",
            medical_type=medical_type, discharged_on=date(2019, 6, 1), identities=["minimum_allowance"], bill=bill))
        return result.assistance, result.reason

    assistance, reason = settle("outpatient")
    assert assistance == 0 and reason is not None and "未开展门诊救助" in reason
    assert settle("inpatient") == (Decimal("420.00"), None)  # 600 × 70%: inpatient is untouched
