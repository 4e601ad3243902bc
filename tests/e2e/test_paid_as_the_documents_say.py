"""Issue 13's corrections through the four running services over HTTP, on PostgreSQL: an employee
under the 2018 notice, the 开发区 under it, Tai'erzhuang's exclusions and outpatient benefit, the
employee large-expense subsidy, and treat-first-pay-later on admission. Figures worked by hand from
the documents (docs/rules.md §4-§7)."""

from decimal import Decimal as D

import httpx
import pytest

from shared.auth import Role
from tests.e2e.conftest import Platform, fetch
from tests.e2e.settlement_support import funds, ledger_balances, register_taierzhuang_hospital
from tests.support.people import new_id_number

pytestmark = pytest.mark.e2e



def person(platform: Platform, auth, *, insurance_type: str = "resident", region_code: str = "370602",  # type: ignore[no-untyped-def]
           category: str = "minimum_allowance", approved_on: str = "2021-06-10") -> str:
    id_number = new_id_number()
    registry, ops = platform.urls["registry"], auth(Role.OPS)
    created = httpx.post(f"{registry}/v1/persons", headers=ops, json={
        "id_number": id_number, "name": "更正测试", "insurance_type": insurance_type, "region_code": region_code,
    })
    assert created.status_code == 201, created.text
    identity = httpx.post(f"{registry}/v1/persons/{id_number}/identities", headers=ops, json={
        "category": category, "document_number": "测试〔2021〕1号", "approved_on": approved_on,
    })
    assert identity.status_code == 201, identity.text
    return id_number


def settle(platform: Platform, auth, id_number: str, serial: str, bill: dict, *,  # type: ignore[no-untyped-def, type-arg]
           hospital_code: str = "060001", insurance_type: str = "resident", **extra) -> httpx.Response:
    body = {
        "his_serial": serial, "hospital_code": hospital_code, "id_number": id_number,
        "insurance_type": insurance_type, "medical_type": "inpatient", "admitted_on": "2022-12-01",
        "discharged_on": "2022-12-20", "bill": bill,
    } | extra
    return httpx.post(f"{platform.urls['settlement']}/v1/settlements", json=body, timeout=30,
                      headers=auth(Role.HIS, hospital_code=hospital_code))


@pytest.fixture(scope="module")
def taierzhuang_hospital(platform: Platform, auth) -> str:  # type: ignore[no-untyped-def]
    """A district designated hospital of Tai'erzhuang, registered by ops with an agreement from
    2017-05-01 (001 lists none of the district's hospitals)."""
    code, _agreement = register_taierzhuang_hospital(platform, auth)
    return code


def test_an_employee_gets_no_2018_assistance_and_the_statement_says_why(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    # 000 is the notice on 居民医疗救（补）助: 20,000 − 12,000 basic = 8,000, all of it the person's.
    id_number = person(platform, auth, insurance_type="employee")
    response = settle(platform, auth, id_number, "EMP2018-1", insurance_type="employee", disease_class="ordinary",
                      bill={"total": "20000", "basic_insurance_paid": "12000", "critical_illness_paid": "0"})
    statement = response.json()
    assert response.status_code == 201, statement
    assert (statement["policy_id"], statement["identity_applied"]) == ("yantai-2018", None)
    assert funds(statement) == (D("12000.00"), D("0.00"), D("0.00"), D("0.00"), D("8000.00"))
    assert "居民医保" in statement["reason"]
    balances, _ = ledger_balances(platform, id_number)
    assert balances["assistance_paid"] == 0


def test_the_development_zone_is_paid_by_the_city_table_under_2018(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    # 000 §二 2 gives the zone no figures: 低保 ordinary disease at the city's 70%, 8,000 × 70% = 5,600,
    # at a zone hospital (烟台经济技术开发区古现医院, 053548), never refused for want of a zone figure.
    id_number = person(platform, auth, region_code="370672")
    response = settle(platform, auth, id_number, "ZONE2018-1", hospital_code="053548", disease_class="ordinary",
                      bill={"total": "20000", "basic_insurance_paid": "12000", "critical_illness_paid": "0"})
    statement = response.json()
    assert response.status_code == 201, statement
    assert (statement["policy_id"], statement["identity_applied"]) == (
        "yantai-2018-development-zone", "minimum_allowance")
    assert funds(statement) == (D("12000.00"), D("0.00"), D("5600.00"), D("0.00"), D("2400.00"))
    assert not [step for step in statement["trace"] if "unverified" in (step["source"] or "")]


def test_taierzhuang_excludes_a_traffic_accident_from_inpatient_but_not_outpatient_assistance(  # type: ignore[no-untyped-def]
    platform: Platform, auth, taierzhuang_hospital: str,
) -> None:
    id_number = person(platform, auth, region_code="370405", approved_on="2019-01-10")
    when = {"admitted_on": "2019-05-20", "discharged_on": "2019-06-01", "cause": "traffic_accident"}
    # 001 §三(二)1: no inpatient assistance after a traffic accident; 8,000 left to the person.
    inpatient = settle(platform, auth, id_number, "TEZ-IN-1", hospital_code=taierzhuang_hospital, **when,
                       bill={"total": "20000", "basic_insurance_paid": "12000", "critical_illness_paid": "0"})
    assert inpatient.status_code == 201, inpatient.text
    assert inpatient.json()["policy_id"] == "taierzhuang-2017"
    assert funds(inpatient.json()) == (D("12000.00"), D("0.00"), D("0.00"), D("0.00"), D("8000.00"))
    assert "交通事故" in inpatient.json()["reason"]
    # 001 §四: outpatient 20% of the actual burden: 1,000 − 400 basic = 600 (200 of it outside the
    # catalog or first self-pay) × 20% = 120; the person pays 480.
    outpatient = settle(platform, auth, id_number, "TEZ-OUT-1", hospital_code=taierzhuang_hospital,
                        **{**when, "admitted_on": "2019-06-01", "medical_type": "outpatient"},
                        bill={"total": "1000", "full_self_pay": "150", "pre_self_pay": "50",
                              "basic_insurance_paid": "400", "critical_illness_paid": "0"})
    statement = outpatient.json()
    assert outpatient.status_code == 201, statement
    assert (statement["identity_applied"], statement["reason"]) == ("minimum_allowance", None)
    assert funds(statement) == (D("400.00"), D("0.00"), D("120.00"), D("0.00"), D("480.00"))
    balances, _ = ledger_balances(platform, id_number)
    assert (balances["assistance_paid_outpatient"], balances["assistance_paid_inpatient"]) == (D("120"), D("0"))


def test_an_employee_large_expense_subsidy_is_deducted_before_assistance(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    # 004 §三(五), 2023, employee 低保: S = 100,000 − 5,000 − 5,000 = 90,000; basic 60,000 → R = 30,000;
    # tilted employee critical illness (30,000 − 6,000) × 85% = 20,400; hifob_pay 2,000 → A = 7,600;
    # 80% = 6,080; remainder 1,520 < 5,000, no re-assistance. Personal share 11,520.
    id_number = person(platform, auth, insurance_type="employee", approved_on="2022-12-10")
    bill = {"total": "100000", "full_self_pay": "5000", "pre_self_pay": "5000", "basic_insurance_paid": "60000"}
    dates = {"admitted_on": "2023-03-01", "discharged_on": "2023-03-20"}
    given = settle(platform, auth, id_number, "EMP-H-1", insurance_type="employee", **dates,
                   bill={**bill, "large_expense_paid": "2000"})
    statement = given.json()
    assert given.status_code == 201, statement
    lines = {line["label"]: (line["fund"], D(line["amount"])) for line in statement["funds"]}
    assert lines["职工大额医疗费用补助"] == ("330100", D("2000.00"))
    assert funds(statement) == (D("60000.00"), D("20400.00"), D("6080.00"), D("0.00"), D("11520.00"))
    assert not [step for step in statement["trace"] if step["rule"] == "large_expense_missing"]
    balances, sums = ledger_balances(platform, id_number)
    assert balances["large_expense_paid"] == D("2000") == sums["large_expense_paid"]
    assert balances["assistance_base"] == D("7600")
    # Without hifob_pay and no schedule configured: A = 9,600 × 80% = 7,680, and the statement says so.
    other = person(platform, auth, insurance_type="employee", approved_on="2022-12-10")
    missing = settle(platform, auth, other, "EMP-H-2", insurance_type="employee", **dates, bill=bill)
    assert missing.status_code == 201, missing.text
    assert funds(missing.json()) == (D("60000.00"), D("20400.00"), D("7680.00"), D("0.00"), D("11920.00"))
    [note] = [step for step in missing.json()["trace"] if step["rule"] == "large_expense_missing"]
    assert "未扣除职工大额" in note["label"]


def test_treat_first_pay_later_needs_a_referral_a_yantai_hospital_and_the_2023_plan(  # type: ignore[no-untyped-def]
    platform: Platform, auth, taierzhuang_hospital: str,
) -> None:
    url = f"{platform.urls['settlement']}/v1/admissions"
    poor = person(platform, auth, approved_on="2022-06-10")
    referral = {"referring_institution": "芝罘区幸福街道社区卫生服务中心", "referred_on": "2023-04-01"}

    def admit(number: str, *, hospital_code: str = "060001", admitted_on: str = "2023-04-02",  # type: ignore[no-untyped-def]
              **extra) -> httpx.Response:
        return httpx.post(url, headers=auth(Role.HIS, hospital_code=hospital_code), json={
            "admission_number": number, "hospital_code": hospital_code, "id_number": poor,
            "admitted_on": admitted_on, **extra})

    waived = admit("TF-1", referral=referral)
    assert waived.status_code == 201, waived.text
    assert (waived.json()["treat_first_pay_later"], waived.json()["deposit_reasons"]) == (True, [])
    assert waived.json()["referral"] == referral
    no_referral = admit("TF-2")
    assert no_referral.json()["treat_first_pay_later"] is False
    assert [r for r in no_referral.json()["deposit_reasons"] if "首诊转诊" in r and "referral" in r]
    before_the_plan = admit("TF-3", admitted_on="2022-12-20", referral={**referral, "referred_on": "2022-12-19"})
    assert before_the_plan.json()["treat_first_pay_later"] is False
    assert [r for r in before_the_plan.json()["deposit_reasons"] if "2023-01-01" in r]
    outside = admit("TF-4", hospital_code=taierzhuang_hospital, referral=referral)
    assert outside.status_code == 201, outside.text
    assert outside.json()["treat_first_pay_later"] is False
    assert outside.json()["deposit_reasons"] == ["医院不在本市（370600）行政区域内 (the hospital is outside the city)"]
    late = admit("TF-5", referral={**referral, "referred_on": "2023-04-03"})
    assert late.status_code == 422 and late.headers["content-type"] == "application/problem+json"
    rows = fetch(platform.databases["settlement"], "SELECT admission_number, referring_institution, referred_on,"
                 " treat_first_pay_later FROM admissions WHERE id_number = $1 ORDER BY 1", poor)
    assert [(r["admission_number"], r["referring_institution"], r["treat_first_pay_later"]) for r in rows] == [
        ("TF-1", referral["referring_institution"], True), ("TF-2", None, False),
        ("TF-3", referral["referring_institution"], False), ("TF-4", referral["referring_institution"], False),
    ]
