"""Corrections between real processes on PostgreSQL (docs/rules.md §17): a late registry change or a
cancellation reaches settlement's worker, which replays the person's year through assistance's
batch endpoint and proposes the differences; an agency decides over HTTP; approval books adjustment
entries. Every figure below is worked out by hand from docs/rules.md §4 (Yantai 2023, resident,
basic insurance given by the core), not read from the code."""

import time
from datetime import date, datetime, timedelta
from decimal import Decimal as D
from typing import Any

import httpx
import pytest

from services.settlement.ledger.models import ACCUMULATORS
from shared.auth import Role
from shared.clock import SHANGHAI
from tests.e2e.conftest import Platform, fetch
from tests.e2e.settlement_support import (
    EXAMPLE_1,
    EXAMPLE_2,
    beneficiary,
    ledger_balances,
    registry_changes_taken_up,
    settle,
)

pytestmark = pytest.mark.e2e

CIVIL = {"agency": "civil_affairs"}
RURAL = {"agency": "rural_revitalization"}
SMALL = {"total": "20000", "basic_insurance_paid": "12000"}  # S = 20,000, R = 8,000
BILL_D2 = {"total": "30000", "basic_insurance_paid": "18000"}  # S = 30,000, R = 12,000
BILL_D3 = {"total": "10000", "basic_insurance_paid": "6000"}  # S = 10,000, R = 4,000


def _proposals(platform: Platform, auth, id_number: str, status: str | None = None) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    params = {"id_number": id_number} | ({"status": status} if status else {})
    answer = httpx.get(f"{platform.urls['settlement']}/v1/correction-proposals", params=params,
                       headers=auth(Role.AGENCY, **CIVIL))
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def _eventually(platform: Platform, auth, id_number: str, status: str, count: int = 1) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + 40
    while True:
        found = _proposals(platform, auth, id_number, status)
        if len(found) >= count or time.monotonic() > deadline:
            assert len(found) == count, (status, _proposals(platform, auth, id_number))
            return found
        time.sleep(0.3)


def _decide(platform: Platform, auth, proposal_id: str, decision: str, agency: dict[str, str] = CIVIL,  # type: ignore[no-untyped-def]
            reason: str = "经核实 (verified)") -> httpx.Response:
    return httpx.post(f"{platform.urls['settlement']}/v1/correction-proposals/{proposal_id}/decision",
                      headers=auth(Role.AGENCY, **agency), json={"decision": decision, "reason": reason})


def _diff(item: dict[str, Any], *names: str) -> tuple[D, ...]:
    return tuple(D(item["differences"][name]) for name in names)


def _settled(platform: Platform, auth, id_number: str, serial: str, bill: dict[str, str], discharged_on: str,  # type: ignore[no-untyped-def]
             **extra: str) -> str:
    answer = settle(platform, auth, id_number, serial, bill, admitted_on=discharged_on[:8] + "01",
                    discharged_on=discharged_on, **extra)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["settlement_id"])


def _balanced(platform: Platform, id_number: str, year: int = 2023) -> dict[str, D]:
    """The person-year's balances, checked equal to the sums of its ledger entries."""
    row, sums = ledger_balances(platform, id_number)
    assert row["year"] == year
    for name in ACCUMULATORS:
        assert row[name] == sums.get(name, D("0.00")), name
    return {name: D(row[name]) for name in ACCUMULATORS}


def _add_identity(platform: Platform, auth, id_number: str, category: str, approved_on: str) -> None:  # type: ignore[no-untyped-def]
    added = httpx.post(f"{platform.urls['registry']}/v1/persons/{id_number}/identities", headers=auth(Role.OPS),
                       json={"category": category, "document_number": "测试〔2023〕2号", "approved_on": approved_on})
    assert added.status_code == 201, added.text


def _end_identity(platform: Platform, auth, id_number: str, ended_on: str) -> None:  # type: ignore[no-untyped-def]
    """The person's one identity ended, as recorded late by ops."""
    identities = f"{platform.urls['registry']}/v1/persons/{id_number}/identities"
    [identity] = httpx.get(identities, headers=auth(Role.OPS)).json()
    ended = httpx.post(f"{identities}/{identity['identity_id']}/end", headers=auth(Role.OPS),
                       json={"ended_on": ended_on, "reason": "收入超标，迟报"})
    assert ended.status_code == 200, ended.text


def test_a_back_dated_minimum_allowance_after_a_discharge_is_proposed_approved_and_booked(  # type: ignore[no-untyped-def]
    platform_with_worker: Platform, auth,
) -> None:
    platform = platform_with_worker
    id_number = beneficiary(platform, auth, None)
    settlement_id = _settled(platform, auth, id_number, "COR-A1", EXAMPLE_1, "2023-03-20")
    # As settled, no identity: S = 45,000, B = 26,520, R = 18,480; critical illness (normal, residents:
    # 14,000, 60%) (18,480 − 14,000) × 60% = 2,688.00; no assistance; P = 50,000 − 26,520 − 2,688 = 20,792.00.
    # 低保 approved 2023-01-10 (recorded now) counts from 2023-02-01: the discharge of 2023-03-20 was his.
    _add_identity(platform, auth, id_number, "minimum_allowance", "2023-01-10")
    [proposal] = _eventually(platform, auth, id_number, "pending")
    assert [r["type"] for r in proposal["reasons"]] == ["identity.added"]
    assert proposal["reasons"][0]["effective_from"] == "2023-02-01"
    [item] = proposal["items"]
    assert (item["settlement_id"], item["identity_before"], item["identity_after"]) == (
        settlement_id, None, "minimum_allowance")
    # Replayed as docs/rules.md §8 example 1: critical illness tilted (18,480 − 7,000) × 65% = 7,462.00
    # (+4,774.00); A = 11,018; assistance 80% = 8,814.40; remainder 2,203.60 < 5,000: no re-assistance;
    # P = 7,203.60 (−13,588.40: paid back to the person).
    assert _diff(item, "basic_insurance", "critical_illness", "assistance", "re_assistance", "personal_share") == (
        D("0.00"), D("4774.00"), D("8814.40"), D("0.00"), D("-13588.40"))
    assert D(proposal["paid_to_person"]) == D("13588.40")
    assert item["trace"] and {s["rule"] for s in item["trace"]} >= {"critical_illness_tilted", "assistance"}
    assert proposal["agencies"] == ["civil_affairs"]
    before = _balanced(platform, id_number)  # a proposal books nothing
    assert before["assistance_paid"] == D("0.00")

    refused = _decide(platform, auth, proposal["id"], "approve", agency=RURAL)  # 低保 is civil affairs' list
    assert refused.status_code == 403 and refused.json()["code"] == "agency_not_deciding"
    approved = _decide(platform, auth, proposal["id"], "approve", reason="低保自2023年2月起有效")
    assert approved.status_code == 200, approved.text
    decided = approved.json()
    assert decided["status"] == "approved" and decided["payment"] == "pay"
    assert decided["decision"]["decided_by"] == "test-agency" and decided["decision"]["agency"] == "civil_affairs"
    assert [h["action"] for h in decided["history"]] == ["proposed", "approved"]

    # The accumulators are now what example 1 leaves; the ledger sums to them.
    after = _balanced(platform, id_number)
    assert (after["critical_illness_burden"], after["critical_illness_paid"], after["assistance_base"],
            after["assistance_paid"], after["re_assistance_base"], after["re_assistance_paid"]) == (
        D("18480.00"), D("7462.00"), D("11018.00"), D("8814.40"), D("2203.60"), D("0.00"))
    adjustments = fetch(platform.databases["settlement"], "SELECT accumulator, amount FROM ledger_entries "
                        "WHERE settlement_id = $1 AND kind = 'adjustment' ORDER BY accumulator", settlement_id)
    assert {r["accumulator"]: r["amount"] for r in adjustments} == {
        "assistance_base": D("11018.00"), "assistance_paid": D("8814.40"), "assistance_paid_inpatient": D("8814.40"),
        "critical_illness_paid": D("4774.00"), "re_assistance_base": D("2203.60")}
    # The settlement itself is never edited.
    [row] = fetch(platform.databases["settlement"], "SELECT assistance, personal_share FROM settlements WHERE id = $1",
                  settlement_id)
    assert (row["assistance"], row["personal_share"]) == (D("0.00"), D("20792.00"))

    [event] = fetch(platform.databases["settlement"], "SELECT effective_from, after FROM change_events "
                    "WHERE id_number = $1 AND type = 'settlement.corrected'", id_number)
    assert event["effective_from"] == date(2023, 3, 20) and proposal["id"] in str(event["after"])

    again = _decide(platform, auth, proposal["id"], "reject")
    assert again.status_code == 409 and again.json()["code"] == "proposal_decided"
    assert again.headers["content-type"].startswith("application/problem+json")


def test_an_identity_ended_back_dated_leaves_money_to_recover(platform_with_worker: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    platform = platform_with_worker
    id_number = beneficiary(platform, auth, "minimum_allowance", approved_on="2022-12-10")  # from 2023-01-01
    _settled(platform, auth, id_number, "COR-B1", EXAMPLE_1, "2023-03-20")  # example 1: P = 7,203.60
    _end_identity(platform, auth, id_number, "2023-02-15")
    # Ended in February: no 低保 from 2023-03-01. Replayed without an identity: critical illness normal
    # (18,480 − 14,000) × 60% = 2,688.00 (−4,774.00); assistance 0 (−8,814.40); P = 20,792.00
    # (+13,588.40): to recover from the person.
    [proposal] = _eventually(platform, auth, id_number, "pending")
    [item] = proposal["items"]
    assert _diff(item, "critical_illness", "assistance", "re_assistance", "personal_share") == (
        D("-4774.00"), D("-8814.40"), D("0.00"), D("13588.40"))
    assert D(proposal["paid_to_person"]) == D("-13588.40")
    approved = _decide(platform, auth, proposal["id"], "approve", reason="追回多付救助金")
    assert approved.status_code == 200 and approved.json()["payment"] == "recover"
    after = _balanced(platform, id_number)
    assert (after["critical_illness_paid"], after["assistance_base"], after["assistance_paid"],
            after["re_assistance_base"], after["assistance_paid_inpatient"], after["critical_illness_burden"]) == (
        D("2688.00"), D("0.00"), D("0.00"), D("0.00"), D("0.00"), D("18480.00"))


def test_a_cancel_in_the_middle_of_a_year_re_proposes_the_later_settlements(  # type: ignore[no-untyped-def]
    platform_with_worker: Platform, auth,
) -> None:
    platform = platform_with_worker
    id_number = beneficiary(platform, auth, "minimum_allowance", approved_on="2022-12-10")
    registry_changes_taken_up(platform, id_number)
    first = _settled(platform, auth, id_number, "COR-C1", EXAMPLE_1, "2023-03-20")
    second = _settled(platform, auth, id_number, "COR-C2", EXAMPLE_2, "2023-05-20")
    third = _settled(platform, auth, id_number, "COR-C3", SMALL, "2023-07-20")
    # As settled in order: 1 = example 1; 2 = example 2 (C 32,500, M 14,000, RA 492.52, P 13,007.48);
    # 3: R 8,000, C 8,000 × 65% = 5,200.00, A 2,800, M 2,240.00, remainder cumulative 5,703.60 → 6,263.60,
    # RA (6,263.60 − 5,000) × 70% = 884.52 − 492.52 = 392.00, P = 20,000 − 12,000 − 5,200 − 2,240 − 392 = 168.00.
    cancelled = httpx.post(f"{platform.urls['settlement']}/v1/settlements/{first}/cancel",
                           headers=auth(Role.HIS), json={"reason": "重复结算"})
    assert cancelled.status_code == 200, cancelled.text
    [proposal] = _eventually(platform, auth, id_number, "pending")
    assert [r["type"] for r in proposal["reasons"]] == ["settlement.cancelled"]
    assert [i["settlement_id"] for i in proposal["items"]] == [second, third]
    # Replayed without the first: 2: C (50,000 − 7,000) × 65% = 27,950.00, A 22,050, M 80% = 17,640.00,
    # remainder 4,410 < 5,000: RA 0, P = 120,000 − 60,000 − 27,950 − 17,640 = 14,410.00.
    # 3: C 8,000 × 65% = 5,200.00, A 2,800, M 2,240.00, remainder 4,410 → 4,970 < 5,000: RA 0, P = 560.00.
    two, three = proposal["items"]
    assert _diff(two, "critical_illness", "assistance", "re_assistance", "personal_share") == (
        D("-4550.00"), D("3640.00"), D("-492.52"), D("1402.52"))
    assert _diff(three, "critical_illness", "assistance", "re_assistance", "personal_share") == (
        D("0.00"), D("0.00"), D("-392.00"), D("392.00"))
    assert D(proposal["paid_to_person"]) == D("-1794.52")
    assert _decide(platform, auth, proposal["id"], "approve").status_code == 200
    after = _balanced(platform, id_number)
    assert (after["critical_illness_burden"], after["critical_illness_paid"], after["assistance_base"],
            after["assistance_paid"], after["re_assistance_base"], after["re_assistance_paid"]) == (
        D("58000.00"), D("33150.00"), D("24850.00"), D("19880.00"), D("4970.00"), D("0.00"))


def test_an_illness_poverty_grant_reaches_back_over_two_earlier_settlements(  # type: ignore[no-untyped-def]
    platform_with_worker: Platform, auth,
) -> None:
    platform = platform_with_worker
    id_number = beneficiary(platform, auth, None)
    one = _settled(platform, auth, id_number, "COR-D1", EXAMPLE_1, "2023-03-20")
    two = _settled(platform, auth, id_number, "COR-D2", BILL_D2, "2023-05-20")
    # As settled, no identity: 1: C (18,480 − 14,000) × 60% = 2,688.00, A 15,792, P 20,792.00;
    # 2: C (cumulative 18,480 → 30,480) 12,000 × 60% = 7,200.00, A 4,800, P 4,800.00.
    applications = f"{platform.urls['registry']}/v1/persons/{id_number}/illness-poverty-applications"
    applied = httpx.post(applications, headers=auth(Role.AGENCY, **CIVIL), json={"applied_on": "2023-06-15"})
    assert applied.status_code == 201, applied.text
    granted = httpx.post(f"{applications}/{applied.json()['application_id']}/approve",
                         headers=auth(Role.AGENCY, **CIVIL),
                         json={"decided_on": "2023-06-20", "document_number": "芝民因病〔2023〕9号"})
    assert granted.status_code == 200, granted.text
    # The grant looks back to 2022-06-01 and runs to 2023-12-31: both discharges are in it.
    [proposal] = _eventually(platform, auth, id_number, "pending")
    assert [r["type"] for r in proposal["reasons"]] == ["grant.approved"]
    assert [(i["settlement_id"], i["identity_after"]) for i in proposal["items"]] == [
        (one, "illness_poverty"), (two, "illness_poverty")]
    # Under the grant (threshold 10,000, 60%, no re-assistance): 1: base 0 → 15,792: (15,792 − 10,000) × 60%
    # = 3,475.20; 2: base 15,792 → 20,592: (20,592 − 10,000) × 60% = 6,355.20 − 3,475.20 = 2,880.00.
    first, second = proposal["items"]
    assert _diff(first, "critical_illness", "assistance", "personal_share") == (D("0.00"), D("3475.20"), D("-3475.20"))
    assert _diff(second, "critical_illness", "assistance", "personal_share") == (D("0.00"), D("2880.00"), D("-2880.00"))
    assert D(proposal["paid_to_person"]) == D("6355.20")  # 3,475.20 + 2,880.00
    assert _decide(platform, auth, proposal["id"], "approve").status_code == 200
    assert _balanced(platform, id_number)["assistance_paid"] == D("6355.20")
    # A later discharge under the grant counts the corrected ones in the grant's usage: R 4,000,
    # C (30,480 → 34,480) 2,400.00, A 1,600; base 20,592 → 22,192: (12,192 × 60% = 7,315.20) − 6,355.20 = 960.00
    # (without the corrected two in the grant's usage it would be 0: 1,600 is below the 10,000 threshold).
    third = settle(platform, auth, id_number, "COR-D3", BILL_D3, admitted_on="2023-07-01", discharged_on="2023-07-20")
    assert third.status_code == 201, third.text
    paid = {line["label"]: D(line["amount"]) for line in third.json()["funds"]}
    assert (paid["大病保险"], paid["医疗救助"]) == (D("2400.00"), D("960.00"))


def test_a_later_change_supersedes_a_pending_proposal(platform_with_worker: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    platform = platform_with_worker
    id_number = beneficiary(platform, auth, None)
    one = _settled(platform, auth, id_number, "COR-E1", EXAMPLE_1, "2023-03-20")
    _add_identity(platform, auth, id_number, "minimum_allowance", "2023-01-10")
    [first] = _eventually(platform, auth, id_number, "pending")
    # A second discharge of the year, settled under 低保 on balances the pending proposal has not
    # corrected yet: C 32,500.00, A 17,500, M 14,000.00, remainder 3,500 (cumulative 0 → 3,500): RA 0.
    two = _settled(platform, auth, id_number, "COR-E2", EXAMPLE_2, "2023-05-20")
    [superseded] = _eventually(platform, auth, id_number, "superseded")
    [second] = _eventually(platform, auth, id_number, "pending")
    assert superseded["id"] == first["id"] and superseded["superseded_by"] == second["id"]
    assert [h["action"] for h in superseded["history"]] == ["proposed", "superseded"]
    assert [r["type"] for r in second["reasons"]] == ["identity.added", "settlement.settled"]
    # The new proposal replays both as examples 1 and 2: the second's re-assistance becomes
    # (5,703.60 − 5,000) × 70% = 492.52.
    assert [i["settlement_id"] for i in second["items"]] == [one, two]
    assert _diff(second["items"][1], "critical_illness", "assistance", "re_assistance", "personal_share") == (
        D("0.00"), D("0.00"), D("492.52"), D("-492.52"))
    assert D(second["paid_to_person"]) == D("14080.92")  # 13,588.40 + 492.52

    late = _decide(platform, auth, first["id"], "approve")
    assert late.status_code == 409 and late.json()["code"] == "proposal_superseded"
    rejected = _decide(platform, auth, second["id"], "reject", reason="待核实")
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert rejected.json()["payment"] is None
    assert _balanced(platform, id_number)["re_assistance_paid"] == D("0.00")  # a rejection books nothing


ZHIFU_HOSPITAL = "060016"  # 芝罘医院: 芝罘区 (370602) draws; no other test of this module settles there


def _statement(platform: Platform, auth) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    month = f"{datetime.now(SHANGHAI):%Y-%m}"
    answer = httpx.get(f"{platform.urls['settlement']}/v1/fund/accounts/370602/statements/{month}",
                       headers=auth(Role.AGENCY, **CIVIL))
    assert answer.status_code == 200, answer.text
    return answer.json()


def _figures(statement: dict[str, Any]) -> tuple[D, ...]:
    return tuple(D(statement[k]) for k in ("opening_balance", "pre_funded", "drawn", "adjustments",
                                           "corrections_paid", "corrections_recovered", "closing_balance"))


def _record(platform: Platform, auth, proposal_id: str, body: dict[str, str],  # type: ignore[no-untyped-def]
            agency: dict[str, str] = CIVIL) -> httpx.Response:
    return httpx.post(f"{platform.urls['settlement']}/v1/correction-proposals/{proposal_id}/payment",
                      headers=auth(Role.AGENCY, **agency), json=body)


def _payments(platform: Platform, auth, id_number: str, **params: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    answer = httpx.get(f"{platform.urls['settlement']}/v1/correction-payments",
                       params={"id_number": id_number, **params}, headers=auth(Role.AGENCY, **CIVIL))
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def test_an_approved_correction_reaches_the_district_clearing_and_the_persons_payment_is_recorded(  # type: ignore[no-untyped-def]
    platform_with_worker: Platform, auth,
) -> None:
    platform = platform_with_worker
    id_number = beneficiary(platform, auth, None)  # registered in 芝罘区
    settlement_id = _settled(platform, auth, id_number, "COR-F1", EXAMPLE_1, "2023-03-20",
                             hospital_code=ZHIFU_HOSPITAL)
    # As settled with no identity (the first test's figures): assistance 0.00, re-assistance 0.00: 芝罘区
    # drew nothing. Civil affairs pre-funds its account 10,000.00 today.
    today = datetime.now(SHANGHAI).date()
    funded = httpx.post(f"{platform.urls['settlement']}/v1/fund/pre-fundings", headers=auth(Role.AGENCY, **CIVIL),
                        json={"region_code": "370602", "amount": "10000.00", "funded_on": today.isoformat(),
                              "reference": "COR-F-YMZ-01"})
    assert funded.status_code == 201, funded.text
    assert _figures(_statement(platform, auth)) == (
        D("0.00"), D("10000.00"), D("0.00"), D("0.00"), D("0.00"), D("0.00"), D("10000.00"))

    # 低保 back-dated (approved 2023-01-10, from 2023-02-01): the replay is example 1, assistance
    # +8,814.40, re-assistance 0.00, the person paid 13,588.40 too much.
    _add_identity(platform, auth, id_number, "minimum_allowance", "2023-01-10")
    [proposal] = _eventually(platform, auth, id_number, "pending")
    assert D(proposal["paid_to_person"]) == D("13588.40")
    early = _record(platform, auth, proposal["id"], {"amount": "13588.40", "done_on": today.isoformat(),
                                                     "reference": "MZ-BF-01"})
    assert (early.status_code, early.json()["code"]) == (409, "correction_payment_not_due")  # not approved yet
    assert _decide(platform, auth, proposal["id"], "approve").status_code == 200

    # The month of the approval: 10,000.00 − 8,814.40 paid out by the correction = 1,185.60.
    statement = _statement(platform, auth)
    assert _figures(statement) == (
        D("0.00"), D("10000.00"), D("0.00"), D("0.00"), D("8814.40"), D("0.00"), D("1185.60"))
    assert [(c["proposal_id"], c["settlement_id"], c["region_code"], c["hospital_code"], c["assistance"],
             c["re_assistance"], c["total"]) for c in statement["corrections"]] == [
        (proposal["id"], settlement_id, "370602", ZHIFU_HOSPITAL, "8814.40", "0.00", "8814.40")]
    balances = httpx.get(f"{platform.urls['settlement']}/v1/fund/balances", headers=auth(Role.AGENCY, **CIVIL))
    assert {b["region_code"]: D(b["balance"]) for b in balances.json()["items"]}["370602"] == D("1185.60")

    # What the agency pays the person: 13,588.40 (of it 8,814.40 assistance; the other 4,774.00 is
    # critical illness's), recorded once.
    [due] = _payments(platform, auth, id_number, status="due")
    assert (due["proposal_id"], due["kind"], due["amount"], due["assistance_difference"],
            due["re_assistance_difference"], due["status"], due["record"]) == (
        proposal["id"], "pay", "13588.40", "8814.40", "0.00", "due", None)
    assert due["id_number"] == f"{id_number[:6]}********{id_number[-4:]}"  # no pii:read
    paid = {"amount": "13588.40", "done_on": today.isoformat(), "reference": "MZ-BF-2023-01", "note": "转入社保卡"}
    for body, status, code in [
        ({**paid, "amount": "13588.41"}, 422, "correction_amount_mismatch"),
        ({**paid, "done_on": (today - timedelta(days=1)).isoformat()}, 422, "correction_done_on_out_of_range"),
        ({**paid, "done_on": (today + timedelta(days=1)).isoformat()}, 422, "correction_done_on_out_of_range"),
    ]:
        refused = _record(platform, auth, proposal["id"], body)
        assert (refused.status_code, refused.json()["code"]) == (status, code), body
        assert refused.headers["content-type"].startswith("application/problem+json")
    other = _record(platform, auth, proposal["id"], paid, agency=RURAL)  # 低保 is civil affairs'
    assert (other.status_code, other.json()["code"]) == (403, "agency_not_deciding")
    recorded = _record(platform, auth, proposal["id"], paid)
    assert recorded.status_code == 201, recorded.text
    assert "idempotent-replayed" not in recorded.headers
    assert (recorded.json()["status"], recorded.json()["record"]["reference"],
            recorded.json()["record"]["recorded_by"]) == ("paid", "MZ-BF-2023-01", "test-agency")
    again = _record(platform, auth, proposal["id"], paid)  # a retry: the same answer
    assert (again.status_code, again.headers["idempotent-replayed"], again.json()) == (201, "true", recorded.json())
    twice = _record(platform, auth, proposal["id"], {**paid, "reference": "MZ-BF-2023-02"})
    assert (twice.status_code, twice.json()["code"]) == (409, "correction_payment_recorded")
    assert _payments(platform, auth, id_number, status="due") == []
    [done] = _payments(platform, auth, id_number, status="done", kind="pay")
    assert done == recorded.json()
    detail = httpx.get(f"{platform.urls['settlement']}/v1/correction-proposals/{proposal['id']}",
                       headers=auth(Role.OPS)).json()
    assert [h["action"] for h in detail["history"]] == ["proposed", "approved", "paid"]
    assert detail["payment_record"]["done_on"] == today.isoformat()
    [row] = fetch(platform.databases["settlement"], "SELECT amount, kind, recorded_by_agency FROM correction_payments "
                  "WHERE proposal_id = $1", proposal["id"])
    assert (row["amount"], row["kind"], row["recorded_by_agency"]) == (D("13588.40"), "pay", "civil_affairs")

    # The identity turns out ended before the discharge (2023-02-15: none from 2023-03-01): the
    # replay takes back what the correction paid, assistance −8,814.40: money to recover, back to the
    # fund in the month of that approval.
    _end_identity(platform, auth, id_number, "2023-02-15")
    [recovery] = _eventually(platform, auth, id_number, "pending")
    assert D(recovery["paid_to_person"]) == D("-13588.40")
    assert _decide(platform, auth, recovery["id"], "approve").status_code == 200
    statement = _statement(platform, auth)
    assert _figures(statement) == (
        D("0.00"), D("10000.00"), D("0.00"), D("0.00"), D("8814.40"), D("8814.40"), D("10000.00"))
    assert [(c["proposal_id"], c["total"]) for c in statement["corrections"]] == [
        (proposal["id"], "8814.40"), (recovery["id"], "-8814.40")]
    [to_recover] = _payments(platform, auth, id_number, status="due")
    assert (to_recover["kind"], to_recover["amount"], to_recover["assistance_difference"]) == (
        "recover", "13588.40", "-8814.40")
