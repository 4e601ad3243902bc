"""Illness-caused-poverty applications and chronic-disease filings over HTTP, on PostgreSQL (the
registry asks the catalog whether the chosen hospital is designated)."""

import httpx
import pytest

from shared.auth import Role
from tests.e2e.conftest import Platform
from tests.support.people import new_id_number

pytestmark = pytest.mark.e2e
CIVIL = {"agency": "civil_affairs"}


def person(platform: Platform, auth, insurance_type: str = "resident") -> str:  # type: ignore[no-untyped-def]
    number = new_id_number()
    assert httpx.post(f"{platform.urls['registry']}/v1/persons", headers=auth(Role.OPS), json={
        "id_number": number, "name": "申请测试", "insurance_type": insurance_type, "region_code": "370602",
        "insured_from": "2015-01-01"}).status_code == 201
    return number


def eligibility(platform: Platform, auth, number: str, on: str) -> dict:  # type: ignore[no-untyped-def, type-arg]
    return httpx.get(f"{platform.urls['registry']}/v1/persons/{number}/eligibility", params={"on": on},
                     headers=auth(Role.SERVICE)).json()


def test_an_approved_application_looks_back_twelve_months(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    number = person(platform, auth)
    url = f"{platform.urls['registry']}/v1/persons/{number}/illness-poverty-applications"
    civil = auth(Role.AGENCY, **CIVIL)
    submitted = httpx.post(url, json={"applied_on": "2023-06-15"}, headers=civil)
    assert submitted.status_code == 201 and submitted.json()["status"] == "submitted"
    again = httpx.post(url, json={"applied_on": "2023-11-01"}, headers=civil)
    assert again.status_code == 409 and again.json()["code"] == "application_exists_this_year"
    rural = httpx.post(f"{url}/{submitted.json()['application_id']}/approve", headers=auth(
        Role.AGENCY, agency="rural_revitalization"), json={"decided_on": "2023-07-03", "document_number": "X"})
    assert rural.status_code == 403  # civil affairs decides
    approved = httpx.post(f"{url}/{submitted.json()['application_id']}/approve", headers=civil,
                          json={"decided_on": "2023-07-03", "document_number": "芝民因病〔2023〕7号"})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    # 004 §三(七): back to the first day of the 12th month before June 2023; to the end of 2023.
    assert [i["category"] for i in eligibility(platform, auth, number, "2022-05-31")["identities"]] == []
    window = eligibility(platform, auth, number, "2022-06-01")["identities"]
    assert [(i["category"], i["effective_from"], i["effective_until"]) for i in window] == [
        ("illness_poverty", "2022-06-01", "2024-01-01")]
    assert eligibility(platform, auth, number, "2024-01-01")["identities"] == []
    decided = httpx.post(f"{url}/{submitted.json()['application_id']}/reject", headers=civil,
                         json={"decided_on": "2023-07-04", "reason": "x"})
    assert decided.status_code == 409 and decided.json()["code"] == "application_decided"
    next_year = httpx.post(url, json={"applied_on": "2024-03-01"}, headers=civil).json()
    rejected = httpx.post(f"{url}/{next_year['application_id']}/reject", headers=civil,
                          json={"decided_on": "2024-03-20", "reason": "家庭收入超过标准"})
    assert rejected.json()["status"] == "rejected"


def test_chronic_filings_by_list_and_review(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    number = person(platform, auth, "resident")
    url = f"{platform.urls['registry']}/v1/persons/{number}/chronic-filings"
    ops = auth(Role.OPS)
    diabetes = httpx.post(url, headers=ops, json={"disease_code": "B01", "hospital_code": "060001",
                                                  "filed_on": "2023-03-10"})
    assert diabetes.status_code == 201, diabetes.text
    assert (diabetes.json()["status"], diabetes.json()["effective_from"]) == ("in_force", "2023-03-11")
    employees_only = httpx.post(url, headers=ops, json={"disease_code": "B02", "hospital_code": "060001",
                                                        "filed_on": "2023-03-10"})
    assert employees_only.status_code == 422 and employees_only.json()["code"] == "disease_not_for_insurance"
    unknown_hospital = httpx.post(url, headers=ops, json={"disease_code": "A02", "hospital_code": "999999",
                                                          "filed_on": "2023-03-10"})
    assert unknown_hospital.status_code == 422 and unknown_hospital.json()["code"] == "hospital_unknown"
    twice = httpx.post(url, headers=ops, json={"disease_code": "B01", "hospital_code": "060002",
                                               "filed_on": "2023-04-10"})
    assert twice.status_code == 409 and twice.json()["code"] == "filing_exists"
    other = httpx.post(url, headers=ops, json={"disease_code": "B99", "disease_name": "慢性阻塞性肺疾病",
                                               "hospital_code": "060001", "filed_on": "2023-05-10"})
    assert (other.json()["status"], other.json()["effective_from"]) == ("pending", None)
    on_filing_day = eligibility(platform, auth, number, "2023-03-10")["chronic_filings"]
    assert on_filing_day == []  # benefits start the day after filing
    assert [f["disease_code"] for f in eligibility(platform, auth, number, "2023-06-01")["chronic_filings"]] == ["B01"]
    approved = httpx.post(f"{url}/{other.json()['filing_id']}/approve", headers=ops, json={})
    assert approved.json()["effective_from"] == "2023-05-11"
    assert sorted(f["disease_code"] for f in eligibility(platform, auth, number, "2023-06-01")["chronic_filings"]) \
        == ["B01", "B99"]
    agency = httpx.post(url, headers=auth(Role.AGENCY, **CIVIL), json={
        "disease_code": "A02", "hospital_code": "060001", "filed_on": "2023-03-10"})
    assert agency.status_code == 403
    listing = httpx.get(f"{platform.urls['registry']}/v1/chronic-diseases", params={"insurance_type": "employee"},
                        headers=ops).json()
    assert {"B02", "B14", "B17"} <= {d["code"] for d in listing}
