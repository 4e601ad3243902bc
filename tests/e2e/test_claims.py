"""Hospitals claim back what they advanced (issue 14): periods closed into frozen claims, reviewed,
approved and paid, through the running services over HTTP, on PostgreSQL. The settlements are made
through the HIS flow and then moved back in time (settled_at) into past periods; every figure is
worked by hand from the policy (POLICY.md §8 examples 1 and 2, 001 §四)."""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal as D

import asyncpg
import httpx
import pytest

from shared.auth import Role
from shared.clock import SHANGHAI, today
from tests.e2e.conftest import Platform, fetch
from tests.e2e.settlement_support import (
    EXAMPLE_1,
    EXAMPLE_2,
    beneficiary,
    register_taierzhuang_hospital,
    settle,
)
from tests.support.pdf import assert_rendered, page_text
from tests.support.xlsx import find, value, workbook

pytestmark = pytest.mark.e2e


def month_start(on: date, back: int) -> date:
    index = on.year * 12 + on.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def shanghai(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute, second), SHANGHAI).astimezone(UTC)


def settled_at(platform: Platform, settlement_id: str, at: datetime) -> None:
    """Move a settlement into a past period (the test's clock: a period must be over to close)."""
    fetch(platform.databases["settlement"], "UPDATE settlements SET settled_at = $1 WHERE id = $2", at, settlement_id)


def settled(platform: Platform, auth, id_number: str, serial: str, bill: dict, at: datetime, **extra) -> str:  # type: ignore[no-untyped-def, type-arg]
    response = settle(platform, auth, id_number, serial, bill, **extra)
    assert response.status_code == 201, response.text
    settled_at(platform, response.json()["settlement_id"], at)
    return response.json()["settlement_id"]


def call(platform: Platform, method: str, path: str, headers: dict[str, str], **kwargs) -> httpx.Response:  # type: ignore[no-untyped-def]
    return httpx.request(method, f"{platform.urls['settlement']}/v1/claim-periods{path}", headers=headers,
                         timeout=30, **kwargs)


def reconcile(platform: Platform, headers: dict[str, str], hospital: str, days: tuple[date, date], count: int,  # type: ignore[no-untyped-def]
              total: str, basic: str, critical: str, assistance: str, re_assistance: str) -> bool:
    """The hospital's totals of the days (like 3201): whether they matched ours."""
    funds = {"basic_insurance": basic, "critical_illness": critical, "assistance": assistance,
             "re_assistance": re_assistance}
    answer = httpx.post(f"{platform.urls['settlement']}/v1/reconciliations/totals", headers=headers, timeout=30, json={
        "hospital_code": hospital, "from_date": str(days[0]), "to_date": str(days[1]), "count": count,
        "total": total, "fund_total": str(sum(D(v) for v in funds.values())), "funds": funds})
    assert answer.status_code == 200, answer.text
    return bool(answer.json()["matched"])


def fund_sums(claim: dict) -> dict[str, D]:  # type: ignore[type-arg]
    return {line["fund"]: D(line["amount"]) for line in claim["funds"]}


def funds_of(basic: str, critical: str, assistance: str, re_assistance: str) -> dict[str, D]:
    return {"basic_insurance": D(basic), "critical_illness": D(critical), "special_drugs": D("0.00"),
            "large_expense": D("0.00"), "assistance": D(assistance), "re_assistance": D(re_assistance)}


def test_a_yantai_month_closed_reviewed_approved_paid_and_a_later_cancellation_deducted(  # type: ignore[no-untyped-def]
    platform: Platform, auth,
) -> None:
    his, agency, ops = auth(Role.HIS), auth(Role.AGENCY), auth(Role.OPS)
    earlier, previous = month_start(today(), 2), month_start(today(), 1)
    first, second = beneficiary(platform, auth, "minimum_allowance"), beneficiary(platform, auth, "minimum_allowance")
    # The earlier month: example 1 then example 2 of the same person (the second on the month's last
    # evening in Shanghai); the other person's example 1 at 00:00:30 on the next month's first day,
    # which is still the earlier month in UTC but the next month's business day.
    a1 = settled(platform, auth, first, "CLM-A1", EXAMPLE_1, shanghai(earlier + timedelta(days=14), 12))
    a2 = settled(platform, auth, first, "CLM-A2", EXAMPLE_2, shanghai(previous - timedelta(days=1), 23, 59, 30))
    b1 = settled(platform, auth, second, "CLM-B1", EXAMPLE_1, shanghai(previous, 0, 0, 30))
    # Settled in the previous month and cancelled before it closes: in no claim at all.
    third = beneficiary(platform, auth, "minimum_allowance")
    c1 = settled(platform, auth, third, "CLM-C1", EXAMPLE_1, shanghai(previous + timedelta(days=3), 9))
    cancelled = httpx.post(f"{platform.urls['settlement']}/v1/settlements/{c1}/cancel", headers=his,
                           json={"reason": "重复结算"}, timeout=30)
    assert cancelled.status_code == 200, cancelled.text

    opened = call(platform, "POST", "", his, json={"hospital_code": "060001", "on": str(earlier + timedelta(days=9))})
    assert opened.status_code == 201, opened.text
    period = opened.json()
    assert (period["status"], period["rule"], period["starts_on"]) == ("open", "yantai-2020", str(earlier))
    assert period["ends_on"] == str(previous - timedelta(days=1))
    again = call(platform, "POST", "", his, json={"hospital_code": "060001", "on": str(earlier)})
    assert (again.status_code, again.json()["id"]) == (200, period["id"])
    not_closed = call(platform, "POST", f"/{period['id']}/review", agency, json={})
    assert (not_closed.status_code, not_closed.json()["code"]) == (409, "claim_not_closed")

    days = (earlier, previous - timedelta(days=1))
    unreconciled = call(platform, "POST", f"/{period['id']}/close", his, json={})
    assert (unreconciled.status_code, unreconciled.json()["code"]) == (409, "claim_period_not_reconciled")
    # The hospital's books count B1 in the earlier month (its UTC date): a mismatch, and still no close.
    assert not reconcile(platform, his, "060001", days, 3, "220000.00", "113040.00", "47424.00", "31628.80",
                         "492.52")
    assert call(platform, "POST", f"/{period['id']}/close", his, json={}).json()["code"] == (
        "claim_period_not_reconciled")
    assert reconcile(platform, his, "060001", days, 2, "170000.00", "86520.00", "39962.00", "22814.40", "492.52")
    closed = call(platform, "POST", f"/{period['id']}/close", his, json={})
    assert closed.status_code == 200, closed.text
    claim = closed.json()
    # A1 + A2: 50,000 + 120,000; basic 26,520 + 60,000; critical illness 7,462 + 32,500; assistance
    # 8,814.40 + 14,000; re-assistance 0 + 492.52; claimed back 22,814.40 + 492.52 = 23,306.92.
    assert (claim["status"], claim["settlements_count"], claim["adjustments_count"]) == ("closed", 2, 0)
    assert D(claim["total"]) == D("170000.00")
    assert fund_sums(claim) == funds_of("86520.00", "39962.00", "22814.40", "492.52")
    assert D(claim["payable"]) == D("23306.92")
    # 003 定点医疗机构费用结算: paid by the end of the next month, which is already over.
    assert (claim["due_on"], claim["past_due"]) == (str(month_start(today(), 0) - timedelta(days=1)), True)
    lines = call(platform, "GET", f"/{period['id']}/lines", his).json()["items"]
    assert [(line["kind"], line["settlement_id"]) for line in lines] == [("settlement", a1), ("settlement", a2)]
    again_closed = call(platform, "POST", f"/{period['id']}/close", his, json={})
    assert (again_closed.status_code, again_closed.json()["code"]) == (409, "claim_period_already_closed")

    past_due = call(platform, "GET", "", agency, params={"past_due": "true"}).json()["items"]
    assert [p["id"] for p in past_due] == [period["id"]]
    unapproved = call(platform, "POST", f"/{period['id']}/payment", agency, json={
        "amount": "23306.92", "paid_on": str(today()), "reference": "CZ-1"})
    assert (unapproved.status_code, unapproved.json()["code"]) == (409, "claim_not_approved")

    reviewed = call(platform, "POST", f"/{period['id']}/review", agency, json={"note": "审核通过"})
    assert reviewed.status_code == 200, reviewed.text
    assert (reviewed.json()["review_outcome"], reviewed.json()["reviewed_by"]) == ("passed", "test-agency")
    approved = call(platform, "POST", f"/{period['id']}/approval", agency)
    assert approved.status_code == 200, approved.text
    assert D(approved.json()["approved_amount"]) == D("23306.92")
    wrong = call(platform, "POST", f"/{period['id']}/payment", agency, json={
        "amount": "23306.90", "paid_on": str(today()), "reference": "CZ-1"})
    assert (wrong.status_code, wrong.json()["code"]) == (422, "payment_amount_mismatch")
    passbook = call(platform, "POST", f"/{period['id']}/payment", agency, json={
        "amount": "23306.92", "paid_on": str(today()), "reference": "CZ-1", "payee": "passbook"})
    assert (passbook.status_code, passbook.json()["code"]) == (422, "payee_not_allowed")
    paid = call(platform, "POST", f"/{period['id']}/payment", agency, json={
        "amount": "23306.92", "paid_on": str(today()), "reference": "CZ-2026-0001"})
    assert paid.status_code == 200, paid.text
    assert (paid.json()["status"], paid.json()["payment_reference"], paid.json()["past_due"]) == (
        "paid", "CZ-2026-0001", False)
    assert D(paid.json()["paid_amount"]) == D("23306.92")
    assert call(platform, "GET", "", ops, params={"past_due": "true"}).json()["items"] == []
    actions = fetch(platform.databases["settlement"], "SELECT action, actor, after->>'status' AS status FROM "
                    "state_changes WHERE entity = 'claim_period' AND entity_key = $1 ORDER BY id", period["id"])
    assert [(a["action"], a["status"]) for a in actions] == [
        ("open", "open"), ("close", "closed"), ("review", "reviewed"), ("approve", "approved"), ("pay", "paid")]

    # A2 cancelled after its claim closed: deducted, to the fen, in the next period to close.
    cancel = httpx.post(f"{platform.urls['settlement']}/v1/settlements/{a2}/cancel", headers=his,
                        json={"reason": "费用录入错误"}, timeout=30)
    assert cancel.status_code == 200, cancel.text
    following = call(platform, "POST", "", his, json={"hospital_code": "060001", "on": str(previous)}).json()
    assert reconcile(platform, his, "060001", (previous, month_start(today(), 0) - timedelta(days=1)), 1,
                     "50000.00", "26520.00", "7462.00", "8814.40", "0.00")
    claim = call(platform, "POST", f"/{following['id']}/close", his, json={}).json()
    # B1 (example 1) less A2 (example 2): 50,000 − 120,000; 26,520 − 60,000; 7,462 − 32,500;
    # 8,814.40 − 14,000; 0 − 492.52; claimed back 8,814.40 − 14,492.52 = −5,678.12.
    assert (claim["settlements_count"], claim["adjustments_count"]) == (1, 1)
    assert D(claim["total"]) == D("-70000.00")
    assert fund_sums(claim) == funds_of("-33480.00", "-25038.00", "-5185.60", "-492.52")
    assert D(claim["payable"]) == D("-5678.12")
    lines = call(platform, "GET", f"/{following['id']}/lines", his).json()["items"]
    assert [(line["kind"], line["settlement_id"], D(line["total"]), D(line["funds"]["re_assistance"]))
            for line in lines] == [("settlement", b1, D("50000.00"), D("0.00")),
                                   ("adjustment", a2, D("-120000.00"), D("-492.52"))]
    # The paid claim itself never changed.
    assert D(call(platform, "GET", f"/{period['id']}", his).json()["payable"]) == D("23306.92")

    # Both claims download: the workbook's sums compute to the figures above, the printout reads them.
    excel = call(platform, "GET", f"/{period['id']}/claim.xlsx", his)
    assert excel.status_code == 200, excel.text
    assert excel.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = workbook(excel.content)
    header_row, _ = find(book.active, "项目")
    assert [value(book.active, f"{c}{header_row + 3}") for c in "CHIJ"] == [
        D("170000.00"), D("22814.40"), D("492.52"), D("23306.92")]
    assert value(book.active, f"B{find(book.active, '审批金额')[0]}") == D("23306.92")
    assert [book["申报明细"].cell(row, 3).value for row in (3, 4)] == [a1, a2]
    following_book = workbook(call(platform, "GET", f"/{following['id']}/claim.xlsx", ops).content)
    header_row, _ = find(following_book.active, "项目")
    assert following_book.active.cell(header_row + 2, 1).value == "冲减"
    assert [value(following_book.active, f"{c}{header_row + 2}") for c in "CHIJ"] == [
        D("-120000.00"), D("-14000.00"), D("-492.52"), D("-14492.52")]
    assert value(following_book.active, f"J{header_row + 3}") == D("-5678.12")
    pdf = call(platform, "GET", f"/{following['id']}/claim.pdf", agency)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = page_text(pdf.content)
    for expected in ("定点医疗机构医疗救助费用申报表", "-5678.12", "-14492.52", "已关账，待审核",
                     "定点医疗机构（盖章）", "全部明细见申报表 Excel"):
        assert expected in text, expected
    assert_rendered(pdf.content, "冲减明细")
    other = auth(Role.HIS, hospital_code="060002")
    for suffix in ("claim.xlsx", "claim.pdf"):
        hidden = call(platform, "GET", f"/{period['id']}/{suffix}", other)
        assert (hidden.status_code, hidden.json()["code"]) == (404, "claim_period_not_found")


def test_a_closed_claim_is_never_edited_even_by_a_direct_update(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    his = auth(Role.HIS, hospital_code="053548")
    someone = beneficiary(platform, auth, "minimum_allowance")
    earlier = month_start(today(), 2)
    settled(platform, auth, someone, "IMM-1", EXAMPLE_1, shanghai(earlier + timedelta(days=2), 10),
            hospital_code="053548")
    period = call(platform, "POST", "", his, json={"hospital_code": "053548", "on": str(earlier)}).json()
    assert call(platform, "POST", f"/{period['id']}/close", auth(Role.OPS),
                json={"override_reason": "对账另行核实"}).status_code == 200
    database = platform.databases["settlement"]
    for statement in (
        "UPDATE claim_periods SET total = 0 WHERE id = $1",
        "UPDATE claim_periods SET status = 'open' WHERE id = $1",
        "UPDATE claim_periods SET status = 'paid' WHERE id = $1",
        "DELETE FROM claim_periods WHERE id = $1",
        "UPDATE claim_funds SET amount = 0 WHERE period_id = $1",
        "DELETE FROM claim_lines WHERE period_id = $1",
        "INSERT INTO claim_funds (period_id, fund, amount) VALUES ($1, 'extra', 1)",
    ):
        with pytest.raises(asyncpg.IntegrityConstraintViolationError):
            fetch(database, statement, period["id"])
    [row] = fetch(database, "SELECT status, total FROM claim_periods WHERE id = $1", period["id"])
    assert (row["status"], row["total"]) == ("closed", D("50000.00"))
    # The next step's own fields may still be written once, through the service.
    assert call(platform, "POST", f"/{period['id']}/review", auth(Role.OPS), json={}).status_code == 200


def test_taierzhuang_claims_by_quarter_with_its_checklist_and_rejected_lines(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    hospital, _ = register_taierzhuang_hospital(platform, auth)
    his, agency = auth(Role.HIS, hospital_code=hospital), auth(Role.AGENCY)
    quarter_start = month_start(today(), (today().month - 1) % 3 + 3)
    next_quarter = month_start(today(), (today().month - 1) % 3)
    person = beneficiary(platform, auth, "minimum_allowance", approved_on="2019-01-10", region_code="370405")
    dates = {"admitted_on": "2019-05-20", "discharged_on": "2019-06-01", "hospital_code": hospital}
    # 001 §四: inpatient 70% of the burden after insurance, 20,000 − 12,000 = 8,000 → 5,600, on the
    # quarter's first business day (still the quarter before in UTC); outpatient 20% of 600 = 120 on
    # its last evening. One a minute into the next quarter belongs to the next quarter.
    inpatient = settled(platform, auth, person, "TEZ-Q-1", {"total": "20000", "basic_insurance_paid": "12000",
                        "critical_illness_paid": "0"}, shanghai(quarter_start, 0, 0, 30), **dates)
    outpatient = settled(platform, auth, person, "TEZ-Q-2", {
        "total": "1000", "full_self_pay": "150", "pre_self_pay": "50", "basic_insurance_paid": "400",
        "critical_illness_paid": "0"}, shanghai(next_quarter - timedelta(days=1), 23, 0),
        **{**dates, "admitted_on": "2019-06-01", "medical_type": "outpatient"})
    settled(platform, auth, person, "TEZ-Q-3", {"total": "1000", "basic_insurance_paid": "400",
            "critical_illness_paid": "0"}, shanghai(next_quarter, 0, 1),
            **{**dates, "admitted_on": "2019-06-02", "discharged_on": "2019-06-02", "medical_type": "outpatient"})
    period = call(platform, "POST", "", his, json={"hospital_code": hospital, "on": str(quarter_start
                                                                                      + timedelta(days=40))}).json()
    assert (period["rule"], period["starts_on"], period["ends_on"]) == (
        "taierzhuang-2017", str(quarter_start), str(next_quarter - timedelta(days=1)))
    assert reconcile(platform, his, hospital, (quarter_start, next_quarter - timedelta(days=1)), 2, "21000.00",
                     "12400.00", "0.00", "5720.00", "0.00")
    claim = call(platform, "POST", f"/{period['id']}/close", his, json={}).json()
    assert (claim["settlements_count"], D(claim["total"]), D(claim["payable"])) == (2, D("21000.00"), D("5720.00"))
    assert fund_sums(claim) == funds_of("12400.00", "0.00", "5720.00", "0.00")
    assert claim["due_on"] is None
    assert [item["label"] for item in claim["documents"]][:2] == ["救助资金结算报表", "医疗救助对象身份证复印件"]
    assert "五（三）" in claim["rule_source"]

    township = call(platform, "POST", f"/{period['id']}/review", auth(Role.AGENCY, agency="rural_revitalization"),
                    json={})
    assert (township.status_code, township.json()["code"]) == (403, "agency_not_allowed")
    stranger = call(platform, "POST", f"/{period['id']}/review", agency, json={"rejections": [
        {"settlement_id": "0" * 32, "reason": "不在申报中"}]})
    assert (stranger.status_code, stranger.json()["code"]) == (422, "claim_line_not_found")
    reviewed = call(platform, "POST", f"/{period['id']}/review", agency, json={"rejections": [
        {"settlement_id": outpatient, "reason": "缺门诊收费票据复印件"}]}).json()
    assert (reviewed["review_outcome"], D(reviewed["rejected_amount"])) == ("partly_rejected", D("120.00"))
    # The hospital sees the line sent back, with its reason.
    seen = call(platform, "GET", f"/{period['id']}", his).json()
    assert [(r["settlement_id"], r["his_serial"], r["reason"]) for r in seen["rejections"]] == [
        (outpatient, "TEZ-Q-2", "缺门诊收费票据复印件")]
    approved = call(platform, "POST", f"/{period['id']}/approval", agency).json()
    assert D(approved["approved_amount"]) == D("5600.00")
    paid = call(platform, "POST", f"/{period['id']}/payment", agency, json={
        "amount": "5600.00", "paid_on": str(today()), "reference": "TCZ-Q-1", "payee": "hospital"})
    assert paid.status_code == 200, paid.text
    assert inpatient in {line["settlement_id"] for line in call(platform, "GET", f"/{period['id']}/lines", his)
                         .json()["items"]}


def test_roles_and_refusals(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    code = "060002"
    his, other, agency, ops = (auth(Role.HIS, hospital_code=code), auth(Role.HIS), auth(Role.AGENCY),
                               auth(Role.OPS))
    earlier, previous = month_start(today(), 2), month_start(today(), 1)
    future = call(platform, "POST", "", his, json={"hospital_code": code, "on": str(today() + timedelta(days=40))})
    assert (future.status_code, future.json()["code"]) == (422, "claim_period_in_future")
    foreign = call(platform, "POST", "", other, json={"hospital_code": code, "on": str(earlier)})
    assert (foreign.status_code, foreign.json()["code"]) == (404, "hospital_not_found")
    by_agency = call(platform, "POST", "", agency, json={"hospital_code": code, "on": str(earlier)})
    assert (by_agency.status_code, by_agency.json()["code"]) == (403, "role_not_allowed")
    first = call(platform, "POST", "", his, json={"hospital_code": code, "on": str(earlier)}).json()
    second = call(platform, "POST", "", his, json={"hospital_code": code, "on": str(previous)}).json()
    current = call(platform, "POST", "", his, json={"hospital_code": code, "on": str(today())}).json()

    assert call(platform, "GET", f"/{first['id']}", other).json()["code"] == "claim_period_not_found"
    assert code not in {p["hospital_code"] for p in call(platform, "GET", "", other,
                                                         params={"hospital_code": code}).json()["items"]}
    assert {p["id"] for p in call(platform, "GET", "", his).json()["items"]} == {
        first["id"], second["id"], current["id"]}
    refusals = [
        (his, f"/{second['id']}/close", {}, 409, "earlier_claim_period_open"),
        (his, f"/{current['id']}/close", {}, 409, "claim_period_not_over"),
        (his, f"/{first['id']}/close", {}, 409, "claim_period_not_reconciled"),
        (his, f"/{first['id']}/close", {"override_reason": "对账差异已核实"}, 403, "override_needs_ops"),
        (agency, f"/{first['id']}/close", {}, 403, "role_not_allowed"),
        (other, f"/{first['id']}/close", {}, 404, "claim_period_not_found"),
        (his, f"/{first['id']}/review", {}, 403, "role_not_allowed"),
        (ops, f"/{first['id']}/approval", {}, 409, "claim_not_reviewed"),
    ]
    for headers, path, body, status, problem in refusals:
        answer = call(platform, "POST", path, headers, json=body)
        assert (answer.status_code, answer.json()["code"]) == (status, problem), path
        assert answer.headers["content-type"] == "application/problem+json"
    closed = call(platform, "POST", f"/{first['id']}/close", ops, json={"override_reason": "对账差异已核实"}).json()
    assert (closed["status"], closed["close_override_reason"], closed["settlements_count"]) == (
        "closed", "对账差异已核实", 0)
    assert D(closed["payable"]) == D("0.00")
