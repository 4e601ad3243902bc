"""Pre-settlement (预结算, like NHSA 2303) and outpatient chronic/special-disease settlements (门诊慢特病)
through the real services over HTTP, on PostgreSQL.

Figures are docs/rules.md §8 examples 1 to 3 (Yantai 2023, resident, 低保, basic insurance given).
"""

from decimal import Decimal as D

import httpx
import pytest

from shared.auth import Role
from tests.e2e.conftest import Platform, fetch
from tests.e2e.settlement_support import EXAMPLE_1, EXAMPLE_2, beneficiary, funds, ledger_balances, settle, settle_body
from tests.support.people import new_id_number

pytestmark = pytest.mark.e2e


def preview(platform: Platform, auth, body: dict) -> httpx.Response:  # type: ignore[no-untyped-def, type-arg]
    headers = auth(Role.HIS, hospital_code=body["hospital_code"])
    return httpx.post(f"{platform.urls['settlement']}/v1/settlements:preview", json=body, headers=headers,
                      timeout=30)


def settlement_rows(platform: Platform, id_number: str) -> list:  # type: ignore[type-arg]
    return fetch(platform.databases["settlement"], "SELECT id FROM settlements WHERE id_number = $1", id_number)


def test_preview_then_settle_pays_the_same_and_the_preview_writes_nothing(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    id_number = beneficiary(platform, auth, "minimum_allowance")
    body = settle_body(id_number, "unused", EXAMPLE_1)
    del body["his_serial"]  # a preview takes no serial
    first = preview(platform, auth, body)
    assert first.status_code == 200, first.text
    previewed = first.json()
    assert previewed["preview"] is True and previewed["status"] == "preview"
    assert previewed["settlement_id"] is None and previewed["his_serial"] is None
    assert funds(previewed) == (D("26520.00"), D("7462.00"), D("8814.40"), D("0.00"), D("7203.60"))
    assert settlement_rows(platform, id_number) == []
    assert fetch(platform.databases["settlement"], "SELECT * FROM person_years WHERE id_number = $1", id_number) == []
    lookups = fetch(platform.databases["settlement"],
                    "SELECT purpose, hospital_code FROM person_lookups WHERE id_number = $1", id_number)
    assert [(r["purpose"], r["hospital_code"]) for r in lookups] == [("preview", "060001")]

    settled = settle(platform, auth, id_number, "PRE-EX1", EXAMPLE_1)
    assert settled.status_code == 201, settled.text
    assert funds(settled.json()) == funds(previewed)
    assert settled.json()["year_to_date_after"] == previewed["year_to_date_after"]
    assert "preview" not in settled.json()

    # Twice: had the first preview written anything, the second would see it. Example 2 to the fen is
    # the year-to-date of example 1 settled once.
    for _ in range(2):
        second = preview(platform, auth, settle_body(id_number, "ignored", EXAMPLE_2))
        assert second.status_code == 200, second.text
        assert funds(second.json()) == (D("60000.00"), D("32500.00"), D("14000.00"), D("492.52"), D("13007.48"))
        assert D(second.json()["year_to_date_after"]["assistance_paid"]) == D("22814.40")
    balances, sums = ledger_balances(platform, id_number)
    assert balances["assistance_paid"] == D("8814.40") == sums["assistance_paid"]
    assert len(settlement_rows(platform, id_number)) == 1

    elsewhere = httpx.post(f"{platform.urls['settlement']}/v1/settlements:preview", json=body,
                           headers=auth(Role.HIS, hospital_code="060002"))
    assert elsewhere.status_code == 403 and elsewhere.json()["code"] == "hospital_mismatch"


def insured_beneficiary(platform: Platform, auth) -> str:  # type: ignore[no-untyped-def]
    """A 低保 resident insured since 2015, so that a chronic filing in 2023 can be recorded."""
    id_number = new_id_number()
    registry, headers = platform.urls["registry"], auth(Role.OPS)
    assert httpx.post(f"{registry}/v1/persons", headers=headers, json={
        "id_number": id_number, "name": "慢病测试", "insurance_type": "resident", "region_code": "370602",
        "insured_from": "2015-01-01"}).status_code == 201
    assert httpx.post(f"{registry}/v1/persons/{id_number}/identities", headers=headers, json={
        "category": "minimum_allowance", "document_number": "测试〔2022〕1号", "approved_on": "2022-12-10",
    }).status_code == 201
    return id_number


def chronic(on: str, hospital_code: str) -> dict:  # type: ignore[type-arg]
    return {"medical_type": "outpatient_chronic", "admitted_on": on, "discharged_on": on,
            "hospital_code": hospital_code}


def test_outpatient_chronic_needs_a_filing_in_force_at_the_hospital(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    id_number = insured_beneficiary(platform, auth)
    bill = {"total": "5000", "basic_insurance_paid": "2000"}
    # Example 3's earlier inpatient stay: R = 150,000 − 58,000 = 92,000.
    inpatient = settle(platform, auth, id_number, "CH-IN", {"total": "150000", "basic_insurance_paid": "58000"})
    assert inpatient.status_code == 201, inpatient.text
    assert funds(inpatient.json()) == (D("58000.00"), D("55250.00"), D("29400.00"), D("1645.00"), D("5705.00"))

    refused = settle(platform, auth, id_number, "CH-1", bill, **chronic("2023-05-10", "060002"))
    assert refused.status_code == 422 and refused.json()["code"] == "chronic_filing_missing", refused.text
    assert "门诊慢特病" in refused.json()["detail"]
    previewed = preview(platform, auth, settle_body(id_number, "x", bill, **chronic("2023-05-10", "060002")))
    assert previewed.status_code == 422 and previewed.json()["code"] == "chronic_filing_missing"

    filed = httpx.post(f"{platform.urls['registry']}/v1/persons/{id_number}/chronic-filings", headers=auth(Role.OPS),
                       json={"disease_code": "B01", "hospital_code": "060002", "filed_on": "2023-05-10"})
    assert filed.status_code == 201, filed.text
    same_day = settle(platform, auth, id_number, "CH-2", bill, **chronic("2023-05-10", "060002"))
    assert same_day.status_code == 422 and same_day.json()["code"] == "chronic_filing_not_yet_in_force"
    assert same_day.json()["effective_from"] == "2023-05-11" and "2023-05-11" in same_day.json()["detail"]
    elsewhere = settle(platform, auth, id_number, "CH-3", bill, **chronic("2023-05-12", "060001"))
    assert elsewhere.status_code == 422 and elsewhere.json()["code"] == "chronic_filing_other_hospital"
    assert elsewhere.json()["filed_hospital_codes"] == ["060002"] and "060002" in elsewhere.json()["detail"]
    assert len(settlement_rows(platform, id_number)) == 1  # the refusals left no claim behind

    paid = settle(platform, auth, id_number, "CH-4", bill, **chronic("2023-05-12", "060002"))
    assert paid.status_code == 201, paid.text
    assert paid.json()["medical_type"] == "outpatient_chronic"
    # Example 3: 1,950 critical illness, 600 left of the cap inpatient and outpatient chronic share, 315.
    assert funds(paid.json()) == (D("2000.00"), D("1950.00"), D("600.00"), D("315.00"), D("135.00"))
    balances, _ = ledger_balances(platform, id_number)
    assert balances["assistance_paid"] == D("30000.00")


def test_a_filing_awaiting_review_is_not_yet_in_force_and_shows_its_deadline(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    id_number = insured_beneficiary(platform, auth)
    url = f"{platform.urls['registry']}/v1/persons/{id_number}/chronic-filings"
    filed = httpx.post(url, headers=auth(Role.OPS), json={
        "disease_code": "A99", "disease_name": "肺动脉高压", "hospital_code": "060001", "filed_on": "2023-03-10"})
    assert filed.status_code == 201, filed.text
    # The 20th working day after 2023-03-10 (清明, 5 April, is no working day): 2023-04-10.
    assert (filed.json()["status"], filed.json()["review_due_on"]) == ("pending", "2023-04-10")
    bill = {"total": "5000", "basic_insurance_paid": "2000"}
    waiting = settle(platform, auth, id_number, "CH-R1", bill, **chronic("2023-03-20", "060001"))
    assert waiting.status_code == 422 and waiting.json()["code"] == "chronic_filing_not_yet_in_force"
    assert waiting.json()["effective_from"] is None and "审核" in waiting.json()["detail"]

    approved = httpx.post(f"{url}/{filed.json()['filing_id']}/approve", headers=auth(Role.OPS), json={})
    assert approved.status_code == 200 and approved.json()["review_due_on"] is None
    paid = settle(platform, auth, id_number, "CH-R2", bill, **chronic("2023-03-20", "060001"))
    assert paid.status_code == 201, paid.text
    # No earlier cost this year: R = 3,000 below the 7,000 threshold, A = 3,000 × 80% = 2,400; the
    # remainder 600 is below re-assistance's 5,000: the person pays 600.00.
    assert funds(paid.json()) == (D("2000.00"), D("0.00"), D("2400.00"), D("0.00"), D("600.00"))


def test_an_ended_filing_pays_up_to_its_last_day_then_refuses_with_the_date(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    id_number = insured_beneficiary(platform, auth)
    url = f"{platform.urls['registry']}/v1/persons/{id_number}/chronic-filings"
    filed = httpx.post(url, headers=auth(Role.OPS), json={
        "disease_code": "B01", "hospital_code": "060002", "filed_on": "2023-05-10"}).json()
    too_early = httpx.post(f"{url}/{filed['filing_id']}/end", headers=auth(Role.OPS),
                           json={"last_day": "2023-05-09", "reason": "revoked"})
    assert too_early.status_code == 422 and too_early.json()["code"] == "last_day_before_benefits"
    ended = httpx.post(f"{url}/{filed['filing_id']}/end", headers=auth(Role.OPS),
                       json={"last_day": "2023-06-30", "reason": "moved", "note": "参保关系转出烟台市"})
    assert ended.status_code == 200, ended.text
    assert (ended.json()["last_day"], ended.json()["end_reason"]) == ("2023-06-30", "moved")
    again = httpx.post(f"{url}/{filed['filing_id']}/end", headers=auth(Role.OPS),
                       json={"last_day": "2023-06-29", "reason": "revoked"})
    assert again.status_code == 409 and again.json()["code"] == "filing_ended"

    bill = {"total": "5000", "basic_insurance_paid": "2000"}
    # The last day still pays: R = 3,000 below the 7,000 threshold, A = 3,000 × 80% = 2,400; the
    # remainder 600 is below re-assistance's 5,000.
    last_day = settle(platform, auth, id_number, "CH-E1", bill, **chronic("2023-06-30", "060002"))
    assert last_day.status_code == 201, last_day.text
    assert funds(last_day.json()) == (D("2000.00"), D("0.00"), D("2400.00"), D("0.00"), D("600.00"))
    after = settle(platform, auth, id_number, "CH-E2", bill, **chronic("2023-07-03", "060002"))
    assert after.status_code == 422 and after.json()["code"] == "chronic_filing_ended", after.text
    assert (after.json()["last_day"], after.json()["end_reason"]) == ("2023-06-30", "moved")
    assert "2023-06-30" in after.json()["detail"] and "转出" in after.json()["detail"]

    refiled = httpx.post(url, headers=auth(Role.OPS), json={
        "disease_code": "B01", "hospital_code": "060002", "filed_on": "2023-07-05"})
    assert refiled.status_code == 201, refiled.text  # the ended filing does not block a new one
    paid = settle(platform, auth, id_number, "CH-E3", bill, **chronic("2023-07-06", "060002"))
    assert paid.status_code == 201, paid.text


def test_reviews_past_their_deadline_are_listed_until_decided(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    id_number = insured_beneficiary(platform, auth)
    url = f"{platform.urls['registry']}/v1/persons/{id_number}/chronic-filings"
    filed = httpx.post(url, headers=auth(Role.OPS), json={
        "disease_code": "A99", "disease_name": "肺动脉高压", "hospital_code": "060001",
        "filed_on": "2023-03-10"}).json()
    overdue_url = f"{platform.urls['registry']}/v1/chronic-filings/overdue-reviews"
    listed = httpx.get(overdue_url, headers=auth(Role.AGENCY))
    assert listed.status_code == 200, listed.text
    [mine] = [f for f in listed.json() if f["filing_id"] == filed["filing_id"]]
    assert (mine["review_due_on"], mine["status"]) == ("2023-04-10", "pending")
    assert mine["id_number"] == id_number[:6] + "********" + id_number[-4:]  # agency: no PII
    assert all(f["status"] == "pending" and f["disease_class"] == "A" for f in listed.json())
    assert httpx.post(f"{url}/{filed['filing_id']}/approve", headers=auth(Role.OPS), json={}).status_code == 200
    after = httpx.get(overdue_url, headers=auth(Role.OPS)).json()
    assert filed["filing_id"] not in [f["filing_id"] for f in after]
    assert httpx.get(overdue_url).status_code == 401
