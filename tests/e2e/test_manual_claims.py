"""Manual (零星) claims through the real services over HTTP, on PostgreSQL (烟台市医疗保障局
《烟台市统一医疗保障经办服务办事指南（试行）》（2020-08）医疗救助对象手工（零星）报销): the same
calculation and ledger as a discharge, so a person's caps and year-to-date are shared."""

import json
from decimal import Decimal as D

import httpx
import pytest

from shared.auth import Role
from shared.id_number import mask
from tests.e2e.conftest import Platform, fetch
from tests.e2e.settlement_support import EXAMPLE_1, EXAMPLE_2, beneficiary, funds, ledger_balances, settle
from tests.support.people import new_id_number

pytestmark = pytest.mark.e2e

EVERY_DOCUMENT = {"identity": True, "invoices": True, "fee_list": True, "discharge_record": True}


def claim_body(id_number: str, bill: dict, **extra) -> dict:  # type: ignore[type-arg]
    return {
        "id_number": id_number, "insurance_type": "resident", "medical_type": "inpatient",
        "hospital": {"name": "山东大学齐鲁医院（济南）", "region_code": "370102", "level": "level_3"},
        "admitted_on": "2023-05-01", "discharged_on": "2023-05-10", "bill": bill,
        "invoices": [{"number": "JN-0001", "issued_on": "2023-05-10", "amount": bill["total"]}],
        "documents": EVERY_DOCUMENT,
    } | extra


def test_a_manual_claim_continues_the_year_of_a_discharge_then_is_approved_and_paid(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    url = f"{platform.urls['settlement']}/v1/manual-claims"
    clerk = auth(Role.AGENCY, agency="civil_affairs")
    id_number = beneficiary(platform, auth, "minimum_allowance")
    discharge = settle(platform, auth, id_number, "MC-EX1", EXAMPLE_1)
    assert discharge.status_code == 201, discharge.text
    assert funds(discharge.json())[2] == D("8814.40")  # docs/rules.md §8 example 1

    # Example 2's bill, treated in Jinan (outside the network), claimed by hand. docs/rules.md §8
    # example 2, continuing the discharge's year: R = 120,000 − 5,000 − 5,000 − 60,000 = 50,000;
    # critical illness (cumulative 18,480 → 68,480) 50,000 × 65% = 32,500; A = 17,500, assistance
    # 80% = 14,000 (cap left 30,000 − 8,814.40 = 21,185.60); remainder 3,500, cumulative
    # 2,203.60 → 5,703.60: re-assistance (5,703.60 − 5,000) × 70% = 492.52; personal share
    # 120,000 − 60,000 − 32,500 − 14,000 − 492.52 = 13,007.48.
    created = httpx.post(url, headers=clerk, json=claim_body(id_number, EXAMPLE_2, received_on="2023-05-15"))
    assert created.status_code == 201, created.text
    claim = created.json()
    assert claim["status"] == "calculated" and claim["missing"] == []
    assert claim["id_number"] == mask(id_number)  # an agency token does not read PII
    # Monday 2023-05-15 accepted: May 16, 17, 18, 19, 22, 23, 24, 25, 26, 29 → the 29th.
    assert claim["accepted_on"] == "2023-05-15" and claim["due_on"] == "2023-05-29"
    assert funds(claim["statement"]) == (D("60000"), D("32500"), D("14000"), D("492.52"), D("13007.48"))
    assert D(claim["assistance"]) == D("14492.52")

    [record] = fetch(platform.databases["settlement"], "SELECT * FROM settlements WHERE id = $1",
                     claim["settlement_id"])
    assert (record["channel"], record["hospital_code"], record["his_serial"]) == (
        "manual", "000000", f"MC-{claim['id']}")
    [his] = fetch(platform.databases["settlement"], "SELECT channel FROM settlements WHERE id = $1",
                  discharge.json()["settlement_id"])
    assert his["channel"] == "his"
    balances, sums = ledger_balances(platform, id_number)
    assert balances["assistance_paid"] == sums["assistance_paid"] == D("22814.40")  # 8,814.40 + 14,000
    assert balances["re_assistance_paid"] == sums["re_assistance_paid"] == D("492.52")

    early = httpx.post(f"{url}/{claim['id']}/payment", headers=clerk, json={"paid_on": "2023-05-20", "reference": "P1"})
    assert early.status_code == 409 and early.json()["code"] == "manual_claim_not_approved"
    approved = httpx.post(f"{url}/{claim['id']}/approval", headers=auth(Role.OPS))
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved" and approved.json()["approved_by"] == "test-ops"
    again = httpx.post(f"{url}/{claim['id']}/approval", headers=clerk)
    assert again.status_code == 409 and again.json()["code"] == "manual_claim_already_approved"
    assert "(" in again.json()["detail"]  # Chinese, then English in brackets
    paid = httpx.post(f"{url}/{claim['id']}/payment", headers=clerk,
                      json={"paid_on": "2023-05-26", "reference": "BANK-20230526-01"})
    assert paid.status_code == 200, paid.text
    assert (paid.json()["status"], paid.json()["paid_on"], paid.json()["payment_reference"]) == (
        "paid", "2023-05-26", "BANK-20230526-01")
    twice = httpx.post(f"{url}/{claim['id']}/payment", headers=clerk, json={"paid_on": "2023-05-26", "reference": "X"})
    assert twice.status_code == 409 and twice.json()["code"] == "manual_claim_already_paid"
    audited = fetch(platform.databases["settlement"], "SELECT actor, action, before, after FROM state_changes"
                    " WHERE entity = 'manual_claim' AND entity_key = $1 ORDER BY id", claim["id"])
    assert [(row["actor"], row["action"], json.loads(row["before"]), json.loads(row["after"])) for row in audited] == [
        ("test-ops", "approve", {"status": "calculated"}, {"status": "approved"}),
        (paid.json()["paid_by"], "pay", {"status": "approved"},
         {"status": "paid", "paid_on": "2023-05-26", "payment_reference": "BANK-20230526-01"}),
    ]  # the refused second approval and payment changed nothing and are not audited
    overdue = httpx.get(url, headers=clerk, params={"overdue": "true"}).json()["items"]
    assert claim["id"] not in [c["id"] for c in overdue]  # paid: closed


def test_an_incomplete_claim_is_told_what_is_missing_then_accepted_and_listed_overdue(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    url = f"{platform.urls['settlement']}/v1/manual-claims"
    window = auth(Role.OPS)
    id_number = beneficiary(platform, auth, "minimum_allowance")
    body = claim_body(id_number, EXAMPLE_1, admitted_on="2023-09-01", discharged_on="2023-09-10",
                      documents={"identity": True, "invoices": True, "discharge_record": False})
    created = httpx.post(url, headers=window, json=body)
    assert created.status_code == 201, created.text
    claim = created.json()
    assert claim["status"] == "incomplete" and claim["settlement_id"] is None and claim["due_on"] is None
    assert claim["id_number"] == id_number  # ops reads PII
    assert [m["document"] for m in claim["missing"]] == ["fee_list", "discharge_record"]
    assert claim["missing"][0]["label"].startswith("住院、门诊费用清单")
    refused = httpx.post(f"{url}/{claim['id']}/approval", headers=window)
    assert refused.status_code == 409 and refused.json()["code"] == "manual_claim_not_calculated"
    assert fetch(platform.databases["settlement"], "SELECT * FROM person_years WHERE id_number = $1",
                 id_number) == []  # nothing booked

    completed = httpx.post(f"{url}/{claim['id']}/documents", headers=window, json={
        "documents": {"fee_list": True, "discharge_record": True}, "received_on": "2023-09-28"})
    assert completed.status_code == 200, completed.text
    claim = completed.json()
    # Thursday 2023-09-28 accepted; Sep 29 – Oct 6 holidays, Oct 7 and 8 make-up working days:
    # Oct 7, 8, 9, 10, 11, 12, 13, 16, 17, 18 → the 18th. Example 1 as the year's first stay:
    # assistance 8,814.40 (docs/rules.md §8).
    assert (claim["status"], claim["accepted_on"], claim["due_on"]) == ("calculated", "2023-09-28", "2023-10-18")
    assert D(claim["assistance"]) == D("8814.40") and claim["overdue"] is True
    closed = httpx.post(f"{url}/{claim['id']}/documents", headers=window, json={"documents": {"identity": True}})
    assert closed.status_code == 409 and closed.json()["code"] == "manual_claim_already_accepted"

    overdue = httpx.get(url, headers=auth(Role.AGENCY), params={"overdue": "true"})
    assert overdue.status_code == 200
    assert claim["id"] in [c["id"] for c in overdue.json()["items"]]
    assert httpx.get(f"{url}/{claim['id']}", headers=window).json()["overdue"] is True


def test_refusals_are_problems_with_stable_codes(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    url = f"{platform.urls['settlement']}/v1/manual-claims"
    clerk = auth(Role.AGENCY)
    unknown = httpx.post(url, headers=clerk, json=claim_body(new_id_number(), EXAMPLE_1))
    assert unknown.status_code == 422 and unknown.json()["code"] == "person_not_registered"
    assert unknown.headers["content-type"].startswith("application/problem+json")
    id_number = beneficiary(platform, auth, "minimum_allowance")
    mismatched = claim_body(id_number, EXAMPLE_1)
    mismatched["invoices"][0]["amount"] = "49000"
    wrong = httpx.post(url, headers=clerk, json=mismatched)
    assert wrong.status_code == 422 and wrong.json()["code"] == "invoices_do_not_match_bill"
    backwards = httpx.post(url, headers=clerk, json=claim_body(id_number, EXAMPLE_1, admitted_on="2023-05-11"))
    assert backwards.status_code == 422
    no_invoices = httpx.post(url, headers=clerk, json=claim_body(id_number, EXAMPLE_1, invoices=[]))
    assert no_invoices.status_code == 422 and no_invoices.json()["code"] == "invoices_not_entered"
    missing = httpx.get(f"{url}/{'0' * 32}", headers=clerk)
    assert missing.status_code == 404 and missing.json()["code"] == "manual_claim_not_found"
    his = httpx.post(url, headers=auth(Role.HIS), json=claim_body(id_number, EXAMPLE_1))
    assert his.status_code == 403
