"""A HIS settles discharges through the real services over HTTP, on PostgreSQL.

Figures are docs/rules.md §8 (Yantai 2023, resident, 低保, basic insurance given) and seed 004.
"""

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from decimal import Decimal as D

import httpx
import pytest

from shared.auth import Role
from shared.clock import today
from tests.e2e.conftest import Platform, fetch, held_lock, wait_until_waiting_for_locks
from tests.e2e.settlement_support import (
    EXAMPLE_1,
    EXAMPLE_2,
    beneficiary,
    funds,
    ledger_balances,
    settle,
)
from tests.support.people import new_id_number

pytestmark = pytest.mark.e2e


def grant_illness_poverty(platform: Platform, auth, id_number: str, *, applied_on: str, decided_on: str) -> None:  # type: ignore[no-untyped-def]
    """Civil affairs approves an illness-poverty application: the registry creates the grant (004 §三(七))."""
    civil = auth(Role.AGENCY, agency="civil_affairs")
    url = f"{platform.urls['registry']}/v1/persons/{id_number}/illness-poverty-applications"
    application = httpx.post(url, json={"applied_on": applied_on}, headers=civil).json()
    assert httpx.post(f"{url}/{application['application_id']}/approve", headers=civil,
                      json={"decided_on": decided_on, "document_number": "X"}).status_code == 200


def test_examples_1_and_2_then_cancel_and_resettle(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    id_number = beneficiary(platform, auth, "minimum_allowance")
    first = settle(platform, auth, id_number, "EX1", EXAMPLE_1)
    assert first.status_code == 201, first.text
    one = first.json()
    assert one["identity_applied"] == "minimum_allowance" and one["policy_id"] == "yantai-2023"
    assert funds(one) == (D("26520"), D("7462.00"), D("8814.40"), D("0"), D("7203.60"))
    assert one["id_number"] == id_number[:6] + "********" + id_number[-4:]

    second = settle(platform, auth, id_number, "EX2", EXAMPLE_2)
    assert second.status_code == 201, second.text
    two = second.json()
    assert funds(two) == (D("60000"), D("32500.00"), D("14000.00"), D("492.52"), D("13007.48"))
    assert D(two["year_to_date_after"]["assistance_paid"]) == D("22814.40")

    balances, sums = ledger_balances(platform, id_number)
    assert balances["assistance_paid"] == D("22814.40") == sums["assistance_paid"]
    assert balances["re_assistance_base"] == D("5703.60") == sums["re_assistance_base"]

    settlement = platform.urls["settlement"]
    cancelled = httpx.post(f"{settlement}/v1/settlements/{two['settlement_id']}/cancel",
                           headers=auth(Role.HIS, hospital_code="060001"), json={"reason": "费用录入有误"})
    assert cancelled.status_code == 200, cancelled.text
    assert D(cancelled.json()["year_to_date_after"]["assistance_paid"]) == D("8814.40")
    assert D(cancelled.json()["year_to_date_after"]["critical_illness_burden"]) == D("18480")
    again = httpx.post(f"{settlement}/v1/settlements/{two['settlement_id']}/cancel",
                       headers=auth(Role.HIS, hospital_code="060001"), json={"reason": "费用录入有误"})
    assert again.status_code == 409 and again.json()["code"] == "settlement_not_cancellable"

    resettled = settle(platform, auth, id_number, "EX2-B", EXAMPLE_2)
    assert resettled.status_code == 201
    assert funds(resettled.json()) == funds(two)
    assert resettled.json()["year_to_date_after"] == two["year_to_date_after"]
    balances, sums = ledger_balances(platform, id_number)
    assert all(balances[name] == sums.get(name, D(0)) for name in sums)

    replayed = settle(platform, auth, id_number, "EX2", EXAMPLE_2)
    assert replayed.status_code == 409 and replayed.json()["code"] == "settlement_cancelled"

    shown = httpx.get(f"{settlement}/v1/settlements/{two['settlement_id']}", headers=auth(Role.HIS))
    assert shown.json()["status"] == "cancelled"
    listed = httpx.get(f"{settlement}/v1/settlements", params={"discharged_from": "2023-03-20"}, headers=auth(Role.HIS))
    assert {"EX1", "EX2", "EX2-B"} <= {s["his_serial"] for s in listed.json()["items"]}
    reversed_range = httpx.get(f"{settlement}/v1/settlements", headers=auth(Role.HIS),
                               params={"discharged_from": "2023-03-21", "discharged_to": "2023-03-20"})
    assert reversed_range.status_code == 422 and reversed_range.json()["code"] == "invalid_date_range"


def test_dates_a_discharge_cannot_have(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    id_number = beneficiary(platform, auth, "minimum_allowance")
    tomorrow = (today() + timedelta(days=1)).isoformat()
    born = date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    for dates in ({"admitted_on": tomorrow, "discharged_on": tomorrow},
                  {"admitted_on": (born - timedelta(days=1)).isoformat(), "discharged_on": "2023-03-20"},
                  {"admitted_on": "2023-03-21", "discharged_on": "2023-03-20"}):
        refused = settle(platform, auth, id_number, "DATES-1", EXAMPLE_1, **dates)
        assert refused.status_code == 422 and refused.json()["code"] == "validation_failed", (dates, refused.text)
    assert fetch(platform.databases["settlement"], "SELECT id FROM settlements WHERE id_number = $1", id_number) == []


def test_idempotent_retries(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    id_number = beneficiary(platform, auth, "extreme_poverty")
    first = settle(platform, auth, id_number, "IDEM-1", EXAMPLE_1)
    retry = settle(platform, auth, id_number, "IDEM-1", EXAMPLE_1)
    assert first.status_code == retry.status_code == 201
    assert retry.content == first.content
    assert "idempotent-replayed" not in first.headers and retry.headers["idempotent-replayed"] == "true"
    changed = settle(platform, auth, id_number, "IDEM-1", {**EXAMPLE_1, "total": "50001"})
    assert changed.status_code == 422 and changed.json()["code"] == "idempotency_key_reused"
    balances, _ = ledger_balances(platform, id_number)
    assert balances["admissions"] == 1  # settled once


_TIMED = re.compile(r"([a-z]+);dur=(\d+\.\d\d)")


def server_timing(response: httpx.Response) -> dict[str, float]:
    """The Server-Timing header's phases in order, each checked for the W3C form `name;dur=ms`."""
    parts = response.headers["server-timing"].split(", ")
    matched = [_TIMED.fullmatch(part) for part in parts]
    assert all(matched), parts
    return {m[1]: float(m[2]) for m in matched if m is not None}


def test_the_settlement_tells_where_its_time_went(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    id_number = beneficiary(platform, auth, "minimum_allowance")
    first = settle(platform, auth, id_number, "TIMED-1", EXAMPLE_1)
    assert first.status_code == 201, first.text
    phases = server_timing(first)
    assert list(phases) == ["registry", "catalog", "assistance", "db", "app", "total"]
    # The person is asked of the registry, the calculation of assistance, the claim and the record of
    # the database; the hospital may come from the cache (catalog 0.00).
    assert phases["registry"] > 0 and phases["assistance"] > 0 and phases["db"] > 0 and phases["app"] >= 0
    # registry (alongside catalog), assistance and the database one after the other, each within the
    # total (each figure rounded to 0.01 ms)
    assert phases["registry"] + phases["assistance"] + phases["db"] <= phases["total"] + 0.02

    replay = settle(platform, auth, id_number, "TIMED-1", EXAMPLE_1)
    replayed = server_timing(replay)
    assert replay.headers["idempotent-replayed"] == "true"
    assert (replayed["registry"], replayed["catalog"], replayed["assistance"]) == (0, 0, 0)  # no peer asked
    assert replayed["db"] > 0 and replayed["db"] <= replayed["total"] + 0.01


def test_a_bill_past_what_the_ledger_records_is_refused_and_writes_nothing(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    id_number = beneficiary(platform, auth, "minimum_allowance")
    assert settle(platform, auth, id_number, "HUGE-1", {"total": "9000000000", "basic_insurance_paid": "0"}
                  ).status_code == 201
    for _ in range(2):  # the serial is given back: a retry is computed again, and refused again
        refused = settle(platform, auth, id_number, "HUGE-2", {"total": "1500000000", "basic_insurance_paid": "0"})
        assert refused.status_code == 422 and refused.json()["code"] == "accumulator_limit", refused.text
    balances, _ = ledger_balances(platform, id_number)
    assert (balances["admissions"], balances["critical_illness_burden"]) == (1, D("9000000000.00"))
    assert fetch(platform.databases["settlement"], "SELECT his_serial FROM settlements WHERE id_number = $1",
                 id_number) == [{"his_serial": "HUGE-1"}]


def test_person_unknown_still_settles_with_insurance_only(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    response = settle(platform, auth, new_id_number(), "UNKNOWN-1", EXAMPLE_1)
    assert response.status_code == 201, response.text
    statement = response.json()
    # normal resident critical illness: (18,480 − 14,000) × 60% = 2,688
    assert funds(statement) == (D("26520"), D("2688.00"), D("0"), D("0"), D("20792.00"))
    assert statement["identity_applied"] is None and "registry" in statement["reason"]


def test_identity_approved_this_month_does_not_count_yet(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    id_number = beneficiary(platform, auth, "minimum_allowance", approved_on="2023-03-05")
    statement = settle(platform, auth, id_number, "NEXT-MONTH", EXAMPLE_1).json()
    assert statement["identity_applied"] is None
    assert funds(statement)[2] == D("0")


def test_hospital_and_token_checks(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    id_number = beneficiary(platform, auth, "minimum_allowance")
    unknown = settle(platform, auth, id_number, "H-1", EXAMPLE_1, hospital_code="999999")
    assert unknown.status_code == 422 and unknown.json()["code"] == "hospital_unknown"
    body = {"his_serial": "H-2", "hospital_code": "060002", "id_number": id_number, "insurance_type": "resident",
            "medical_type": "inpatient", "admitted_on": "2023-03-01", "discharged_on": "2023-03-20",
            "bill": EXAMPLE_1}
    other = httpx.post(f"{platform.urls['settlement']}/v1/settlements", json=body,
                       headers=auth(Role.HIS, hospital_code="060001"))
    assert other.status_code == 403 and other.json()["code"] == "hospital_mismatch"
    own = settle(platform, auth, id_number, "H-3", EXAMPLE_1).json()
    foreign = httpx.get(f"{platform.urls['settlement']}/v1/settlements/{own['settlement_id']}",
                        headers=auth(Role.HIS, hospital_code="060002"))
    assert foreign.status_code == 404
    bad_bill = settle(platform, auth, id_number, "H-4", {"total": "100", "full_self_pay": "200"})
    assert bad_bill.status_code == 422 and bad_bill.json()["code"] == "validation_failed"
    # Yantai 2018 assisted on top of the insurance core's settlement: critical illness must be given.
    under_2018 = settle(platform, auth, id_number, "H-5", EXAMPLE_1,
                        admitted_on="2022-12-01", discharged_on="2022-12-20")
    assert under_2018.status_code == 422 and under_2018.json()["code"] == "critical_illness_required"


def test_fifty_concurrent_settlements_of_one_person_hold_the_caps(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    id_number = beneficiary(platform, auth, "extreme_poverty")
    bill = {"total": "20000", "basic_insurance_paid": "12000"}  # R = 8,000 each

    def one(i: int) -> httpx.Response:
        return settle(platform, auth, id_number, f"CONC-{i}", bill)

    with ThreadPoolExecutor(16) as pool:
        responses = list(pool.map(one, range(50)))
    # The only refusal a HIS may see is person_busy, whose serial is given back: its retry settles.
    assert {(r.status_code, r.json().get("code")) for r in responses if r.status_code != 201} <= {
        (503, "person_busy")}, [r.text for r in responses if r.status_code != 201]
    settled = [r.json() if r.status_code == 201 else one(i).json() for i, r in enumerate(responses)]
    assert sorted(s["his_serial"] for s in settled) == sorted(f"CONC-{i}" for i in range(50))
    balances, sums = ledger_balances(platform, id_number)
    assert balances["admissions"] == 50
    assert all(balances[name] == sums.get(name, D(0)) for name in sums)
    # 特困 annual caps (004 §三(六)1): assistance 30,000 and re-assistance 20,000, reached, never passed.
    assert (balances["assistance_paid"], balances["re_assistance_paid"]) == (D("30000"), D("20000"))
    assert sum(funds(s)[2] for s in settled) == D("30000")
    assert sum(funds(s)[3] for s in settled) == D("20000")
    for statement in settled:  # each statement adds up: every fund and the patient's share make the total
        lines = sum(D(line["amount"]) for line in statement["funds"])
        assert lines == D(statement["fund_total"])
        assert lines + D(statement["other_payments"]) + D(statement["personal_share"]) == D(statement["total"])


def test_twenty_identical_requests_at_once_settle_once(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    id_number = beneficiary(platform, auth, "minimum_allowance")
    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(lambda _: settle(platform, auth, id_number, "SAME-1", EXAMPLE_1), range(20)))
    statements = [a for a in answers if a.status_code == 201]
    in_flight = [a for a in answers if a.status_code != 201]
    assert statements and all(a.content == statements[0].content for a in statements)
    assert all(a.status_code == 409 and a.json()["code"] == "settlement_in_progress" for a in in_flight), \
        [a.text for a in in_flight]
    assert funds(statements[0].json()) == (D("26520"), D("7462.00"), D("8814.40"), D("0"), D("7203.60"))
    database = platform.databases["settlement"]
    [settlement] = fetch(database, "SELECT id, status FROM settlements WHERE id_number = $1", id_number)
    assert settlement == {"id": statements[0].json()["settlement_id"], "status": "settled"}
    entries = fetch(database, "SELECT DISTINCT settlement_id, entry_no FROM ledger_entries WHERE id_number = $1",
                    id_number)
    assert entries == [{"settlement_id": settlement["id"], "entry_no": 1}]
    balances, sums = ledger_balances(platform, id_number)
    assert balances["admissions"] == 1 and balances["assistance_paid"] == D("8814.40") == sums["assistance_paid"]


def test_a_duplicate_while_the_first_is_in_flight_is_409(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    id_number = beneficiary(platform, auth, "minimum_allowance")
    registry = platform.databases["registry"]
    # The registry cannot answer while its persons table is locked: the first request of the serial
    # has claimed it and waits for its look-up (within the peer timeout, 2 s).
    with ThreadPoolExecutor(1) as pool, held_lock(registry, "LOCK TABLE persons IN ACCESS EXCLUSIVE MODE"):
        first = pool.submit(settle, platform, auth, id_number, "FLIGHT-1", EXAMPLE_1)
        wait_until_waiting_for_locks(registry, 1)
        duplicate = settle(platform, auth, id_number, "FLIGHT-1", EXAMPLE_1)
        different = settle(platform, auth, id_number, "FLIGHT-1", EXAMPLE_2)
    assert duplicate.status_code == 409 and duplicate.json()["code"] == "settlement_in_progress", duplicate.text
    assert duplicate.headers["retry-after"] == "1"
    assert different.status_code == 422 and different.json()["code"] == "idempotency_key_reused", different.text
    assert first.result().status_code == 201, first.result().text
    replayed = settle(platform, auth, id_number, "FLIGHT-1", EXAMPLE_1)
    assert replayed.status_code == 201 and replayed.content == first.result().content


def test_admission_tells_whether_a_deposit_is_due(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    url = f"{platform.urls['settlement']}/v1/admissions"
    headers = auth(Role.HIS, hospital_code="060001")
    poor = beneficiary(platform, auth, "minimum_allowance")
    margin = beneficiary(platform, auth, "allowance_margin")
    body = {"admission_number": "ZY-1", "hospital_code": "060001", "id_number": poor, "admitted_on": "2023-04-02",
            "referral": {"referring_institution": "幸福街道社区卫生服务中心", "referred_on": "2023-04-01"}}
    first = httpx.post(url, json=body, headers=headers)
    assert first.status_code == 201, first.text
    assert first.json()["treat_first_pay_later"] is True and first.json()["identities"] == ["minimum_allowance"]
    assert "idempotent-replayed" not in first.headers
    again = httpx.post(url, json=body, headers=headers)
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    clash = httpx.post(url, json={**body, "id_number": margin}, headers=headers)
    assert clash.status_code == 409 and clash.json()["code"] == "admission_exists"
    deposit = httpx.post(url, json={**body, "admission_number": "ZY-2", "id_number": margin}, headers=headers)
    assert deposit.status_code == 201 and deposit.json()["treat_first_pay_later"] is False
    other = httpx.post(url, json={**body, "admission_number": "ZY-3", "hospital_code": "060002"}, headers=headers)
    assert other.status_code == 403


def test_a_2022_discharge_settles_under_yantai_2018(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    # 低保 ordinary disease 70% on what insurance left (000 annex §二): 8,000 × 70% = 5,600.
    id_number = beneficiary(platform, auth, "minimum_allowance", approved_on="2021-06-10")
    bill = {"total": "20000", "basic_insurance_paid": "12000", "critical_illness_paid": "0"}
    response = settle(platform, auth, id_number, "Y2018-1", bill, admitted_on="2022-12-01",
                      discharged_on="2022-12-20", disease_class="ordinary")
    statement = response.json()
    assert response.status_code == 201, statement
    assert (statement["policy_id"], statement["identity_applied"]) == ("yantai-2018", "minimum_allowance")
    assert funds(statement) == (D("12000"), D("0"), D("5600.00"), D("0"), D("2400.00"))
    balances, _ = ledger_balances(platform, id_number)
    assert (balances["assistance_paid_ordinary"], balances["assistance_paid_inpatient"]) == (D("5600"), D("5600"))


def test_special_drugs_get_their_own_line_and_accumulators(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    # 004 §三(四)2, 低保: drugs 10,000 × 80% = 8,000; C = (20,000 − 7,000) × 65% = 8,450;
    # A = 11,550 + 2,000 = 13,550 × 80% = 10,840; personal share 2,710.
    id_number = beneficiary(platform, auth, "minimum_allowance")
    bill = {"total": "60000", "special_drugs": "10000", "basic_insurance_paid": "30000"}
    statement = settle(platform, auth, id_number, "DRUGS-1", bill).json()
    lines = {line["label"]: D(line["amount"]) for line in statement["funds"]}
    assert lines == {"基本医保统筹基金": D("30000"), "大病保险": D("8450.00"), "大病保险特殊药品": D("8000.00"),
                     "医疗救助": D("10840.00"), "医疗救助（再救助）": D("0")}
    assert D(statement["personal_share"]) == D("2710.00")
    balances, sums = ledger_balances(platform, id_number)
    assert (balances["special_drugs_cost"], balances["special_drugs_paid"]) == (D("10000"), D("8000"))
    assert sums["special_drugs_paid"] == D("8000")


def test_illness_poverty_pays_under_its_grant(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    # 004 §三(七): applied 2023-06-15, approved 2023-07-03 → the grant covers 2022-06-01 to 2023-12-31,
    # above 10,000 of the grant's cumulative base at 60%, cap 30,000 per grant (not per calendar year).
    id_number = beneficiary(platform, auth, None)
    grant_illness_poverty(platform, auth, id_number, applied_on="2023-06-15", decided_on="2023-07-03")
    bill = {"total": "40000", "basic_insurance_paid": "20000"}
    # Dec 2022: R = 20,000, critical illness (20,000 − 14,000) × 60% = 3,600; A = 16,400: (16,400 − 10,000) × 60%
    first = settle(platform, auth, id_number, "IP-1", bill, admitted_on="2022-12-01", discharged_on="2022-12-10",
                   disease_class="major")
    assert first.status_code == 422  # 2022 is under Yantai 2018, which needs critical illness from the core
    first = settle(platform, auth, id_number, "IP-2", bill, admitted_on="2023-02-01", discharged_on="2023-02-10")
    assert first.json()["identity_applied"] == "illness_poverty"
    assert funds(first.json())[2] == D("3840.00")
    # The second continues both: critical illness on 20,000 → 40,000 = 26,000 × 60% − 3,600 = 12,000,
    # so A = 8,000, all of it above the grant's threshold (its base is already 16,400): 8,000 × 60%.
    second = settle(platform, auth, id_number, "IP-3", bill, admitted_on="2023-08-01", discharged_on="2023-08-10")
    assert funds(second.json())[1:3] == (D("12000.00"), D("4800.00"))
    # Outside the grant (2024), no illness-poverty assistance.
    later = settle(platform, auth, id_number, "IP-4", bill, admitted_on="2024-01-05", discharged_on="2024-01-15")
    assert later.json()["identity_applied"] is None


def test_concurrent_settlements_in_two_years_share_one_grant_cap(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    # 004 §三(七): one grant, one cap of 30,000, whatever the calendar year of the discharge. Applied
    # 2024-01-15 → the grant runs from 2023 into 2024-12-31. Six discharges, three in each year, each
    # leaving 60,000 after basic insurance, settled at once. Each year alone: critical illness on
    # 180,000 = 86,000 × 60% + 80,000 × 65% = 103,600, base 76,400, (76,400 − 10,000) × 60% = 39,840,
    # above the cap: each year's row lock alone would let both years pay 30,000.
    id_number = beneficiary(platform, auth, None)
    grant_illness_poverty(platform, auth, id_number, applied_on="2024-01-15", decided_on="2024-01-20")
    bill = {"total": "120000", "basic_insurance_paid": "60000"}
    dates = [("2023-10-01", "2023-10-20")] * 3 + [("2024-03-01", "2024-03-20")] * 3
    with ThreadPoolExecutor(max_workers=len(dates)) as pool:
        responses = list(pool.map(
            lambda n: settle(platform, auth, id_number, f"GRANT-{n}", bill,
                             admitted_on=dates[n][0], discharged_on=dates[n][1]),
            range(len(dates)),
        ))
    assert [r.status_code for r in responses] == [201] * len(dates), [r.text for r in responses]
    assert {r.json()["identity_applied"] for r in responses} == {"illness_poverty"}
    assert sum(funds(r.json())[2] for r in responses) == D("30000.00")
    grant_paid = fetch(platform.databases["settlement"], "SELECT sum(amount) AS paid FROM ledger_entries "
                       "WHERE id_number = $1 AND accumulator = 'assistance_paid'", id_number)
    assert grant_paid[0]["paid"] == D("30000.00")


def test_an_insurance_type_the_registry_contradicts_is_refused_and_writes_nothing(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    # Registered resident: settled as an employee it would get employee critical illness (15,708.00)
    # instead of the resident's 7,462.00 (docs/rules.md §8 example 1).
    id_number = beneficiary(platform, auth, "minimum_allowance")
    refused = settle(platform, auth, id_number, "MISMATCH-1", EXAMPLE_1, insurance_type="employee")
    assert refused.status_code == 422 and refused.json()["code"] == "insurance_type_mismatch", refused.text
    detail = refused.json()["detail"]
    assert "职工" in detail and "居民" in detail and "employee" in detail and "resident" in detail
    database = platform.databases["settlement"]
    assert fetch(database, "SELECT id FROM settlements WHERE id_number = $1", id_number) == []
    assert fetch(database, "SELECT id_number FROM person_years WHERE id_number = $1", id_number) == []
    corrected = settle(platform, auth, id_number, "MISMATCH-1", EXAMPLE_1)  # the serial was given back
    assert corrected.status_code == 201, corrected.text
    assert funds(corrected.json()) == (D("26520"), D("7462.00"), D("8814.40"), D("0"), D("7203.60"))


def test_a_cancel_flags_the_later_settlements_of_the_person_year(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    id_number = beneficiary(platform, auth, "minimum_allowance")
    earlier = settle(platform, auth, id_number, "RECALC-1", EXAMPLE_1).json()
    later = settle(platform, auth, id_number, "RECALC-2", EXAMPLE_2).json()
    settlement = platform.urls["settlement"]
    cancel_url = f"{settlement}/v1/settlements/{earlier['settlement_id']}/cancel"
    his = auth(Role.HIS, hospital_code="060001")
    for body, message in (({}, "撤销须说明原因 (a reason is required to cancel)"),
                          ({"reason": "  "}, "撤销原因须为1至200个字符 (the reason must be 1 to 200 characters)"),
                          ({"reason": "错" * 201}, "撤销原因须为1至200个字符 (the reason must be 1 to 200 characters)"),
                          ({"reason": "错误", "operator": "张" * 65},
                           "经办人须为1至64个字符 (the operator must be 1 to 64 characters)")):
        refused = httpx.post(cancel_url, headers=his, json=body)
        assert refused.status_code == 422 and refused.json()["code"] == "validation_failed", refused.text
        assert [e["msg"] for e in refused.json()["errors"]] == [message]
    assert fetch(platform.databases["settlement"], "SELECT status FROM settlements WHERE id = $1",
                 earlier["settlement_id"]) == [{"status": "settled"}]
    cancelled = httpx.post(cancel_url, headers=his, json={"reason": " 患者信息录入错误 ", "operator": "收费窗口 张三"})
    assert cancelled.status_code == 200, cancelled.text
    note = cancelled.json()["cancellation"]
    assert (note["reason"], note["cancelled_by"], note["operator"]) == ("患者信息录入错误", "test-his",
                                                                         "收费窗口 张三")
    shown = httpx.get(f"{settlement}/v1/settlements/{earlier['settlement_id']}", headers=his).json()
    assert shown["status"] == "cancelled" and shown["cancellation"] == note
    still = httpx.get(f"{settlement}/v1/settlements/{later['settlement_id']}", headers=his).json()
    assert still["status"] == "settled" and still["cancellation"] is None
    assert cancelled.json()["marked_for_recalculation"] == [later["settlement_id"]]
    flagged = {row["id"]: row["needs_recalculation"] for row in fetch(
        platform.databases["settlement"], "SELECT id, needs_recalculation FROM settlements WHERE id_number = $1",
        id_number)}
    assert flagged == {earlier["settlement_id"]: False, later["settlement_id"]: True}
    listed = httpx.get(f"{settlement}/v1/settlements", headers=auth(Role.HIS),
                       params={"discharged_from": "2023-03-20", "discharged_to": "2023-03-20", "limit": 500}).json()
    shown = {s["settlement_id"]: s["needs_recalculation"] for s in listed["items"]}
    assert (shown[earlier["settlement_id"]], shown[later["settlement_id"]]) == (False, True)
