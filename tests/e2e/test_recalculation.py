"""A go-live batch (烟台2018通知 二、4) through the four running services on PostgreSQL: historic
settlements uploaded as CSV, computed in the background chunk by chunk, a crash after the first
chunk resumed, reviewed by civil affairs, downloaded as Excel and CSV.

The figures are docs/rules.md §8 (Yantai 2023, resident, 低保, basic insurance and critical illness
given), worked by hand:
- 2023-03-20, Example 1: S 45,000, R 18,480, C 7,462 → A 11,018, assistance 80% = 8,814.40,
  remainder 2,203.60 < 5,000 → re-assistance 0; personal 7,203.60.
- 2023-05-10, Example 2: R 50,000, C 32,500 → A 17,500, assistance 14,000; remainder cumulative
  5,703.60 → re-assistance (5,703.60 − 5,000) × 70% = 492.52; personal 13,007.48.
- 2023-08-15, total 60,000, basic 20,000 → R 40,000; C (cumulative 68,480 → 108,480) 31,520 × 65% +
  8,480 × 70% = 20,488 + 5,936 = 26,424 → A 13,576; 80% = 10,860.80 but the cap leaves 30,000 −
  22,814.40 = 7,185.60 → assistance 7,185.60; remainder 6,390.40, cumulative 12,094 → re-assistance
  (12,094 − 5,000) × 70% − 492.52 = 4,965.80 − 492.52 = 4,473.28; personal 60,000 − 20,000 − 26,424
  − 7,185.60 − 4,473.28 = 1,917.12.
- 2024-02-10, Example 1 again: a new person-year from zero → 8,814.40 again.
- a person the registry does not know, Example 1's bill: no assistance; personal 50,000 − 26,520 −
  7,462 = 16,018.00.
"""

import time
from decimal import Decimal as D

import httpx

from shared.auth import Role
from tests.e2e.conftest import Platform, fetch
from tests.e2e.settlement_support import batch_when, beneficiary, restart_then_resume
from tests.support.people import new_id_number
from tests.support.xlsx import find, value, workbook

HEADER = ("身份证号,医疗机构编码,入院日期,出院日期,医疗类别,医疗费用总额,全自费,先行自付,基本医保统筹已付,大病保险已付,"
          "险种")


def _file(person: str, stranger: str) -> bytes:
    lines = [
        HEADER,
        f"{person},060001,2023-08-01,2023-08-15,inpatient,60000,0,0,20000,26424",  # line 2: the cap
        f"{person},060001,2023/5/1,2023/5/10,inpatient,120000,5000,5000,60000,32500",  # line 3: example 2
        f"{stranger},060001,2023-03-01,2023-03-20,inpatient,50000,3000,2000,26520,7462,resident",  # line 4
        f"{person},060001,2023-03-01,2023-03-20,inpatient,50000,3000,2000,26520,7462",  # line 5: example 1
        f"{person},060001,20240201,20240210,inpatient,50000,3000,2000,26520,7462",  # line 6: next year
        f"{person},060001,2023-03-01,2023-03-20,inpatient,,3000,2000,26520,7462",  # line 7: no total
        f"{person},060001,2023-03-25,2023-03-20,inpatient,50000,3000,2000,26520,7462",  # line 8: dates
        "370602199001011230,060001,2023-03-01,2023-03-20,inpatient,50000,3000,2000,26520,7462",  # 9: check digit
        f"{person},060001,2023-03-01,2023-03-20,inpatient,50000,3000,2000,26520,30000",  # line 10: too much paid
    ]
    return "\n".join(lines).encode("gb18030")


EXPECTED = {  # line: (assistance, re-assistance, personal share)
    2: ("7185.60", "4473.28", "1917.12"),
    3: ("14000.00", "492.52", "13007.48"),
    4: ("0.00", "0.00", "16018.00"),
    5: ("8814.40", "0.00", "7203.60"),
    6: ("8814.40", "0.00", "7203.60"),
}


def _upload(platform: Platform, auth, content: bytes) -> dict:  # type: ignore[no-untyped-def]
    answer = httpx.post(f"{platform.urls['settlement']}/v1/recalculations/csv", params={"note": "上线前补算"},
                        content=content, headers=auth(Role.OPS) | {"Content-Type": "text/csv"}, timeout=30)
    assert answer.status_code == 202, answer.text
    return answer.json()


def _results(platform: Platform, batch_id: str) -> dict[int, tuple[str, str, str]]:
    rows = fetch(platform.databases["settlement"], "SELECT line, assistance, re_assistance, personal_share, "
                 "problem_code, reason FROM recalculation_items WHERE batch_id = $1", batch_id)
    return {r["line"]: (f"{r['assistance']:.2f}", f"{r['re_assistance']:.2f}", f"{r['personal_share']:.2f}")
            if r["problem_code"] is None else (r["problem_code"], r["reason"]) for r in rows}


def test_a_go_live_batch_survives_a_crash_and_is_approved(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    person, stranger = beneficiary(platform, auth, "minimum_allowance"), new_id_number()
    content = _file(person, stranger)
    base = f"{platform.urls['settlement']}/v1/recalculations"
    ledger_before = fetch(platform.databases["settlement"], "SELECT count(*) AS n FROM ledger_entries")

    whole = _upload(platform, auth, content)
    assert [(r["line"], r["reason"].split(": ")[0]) for r in whole["rejected_rows"]] == [
        (7, "bill.total"), (8, "行"), (9, "id_number"), (10, "bill")]
    assert "出院日期早于入院日期" in whole["rejected_rows"][1]["reason"]
    assert "大病保险已付超过" in whole["rejected_rows"][3]["reason"]
    assert whole["rows_total"] == 5
    whole = batch_when(platform, auth, whole["id"], lambda b: b["status"] == "calculated")
    assert _results(platform, whole["id"]) == EXPECTED
    assert (whole["rows_done"], whole["assistance"], whole["re_assistance"], whole["not_computed"]) == (
        5, "38814.40", "4965.80", 0)

    # A crash after each chunk: one person-year per chunk, the process stops after committing one.
    platform.restart_service("settlement", SETTLEMENT_RECALCULATION_CHUNK_ROWS="1",
                             SETTLEMENT_RECALCULATION_STOP_AFTER_CHUNKS="1")
    try:
        crashed = _upload(platform, auth, content)
        assert crashed["chunks_total"] == 3  # the person's 2023 and 2024, the stranger's 2023
        first = batch_when(platform, auth, crashed["id"], lambda b: b["chunks_done"] == 1)
        time.sleep(0.5)
        assert first["status"] == "calculating" and first["rows_done"] in (1, 3)
        early = httpx.get(f"{base}/{crashed['id']}/results.xlsx", headers=auth(Role.AGENCY))
        assert (early.status_code, early.json()["code"]) == (409, "batch_not_calculated")
        early = httpx.post(f"{base}/{crashed['id']}:approve", json={"reason": "先批"}, headers=auth(Role.AGENCY))
        assert (early.status_code, early.json()["code"]) == (409, "batch_not_decidable")
        done = restart_then_resume(platform, auth, crashed["id"])
    finally:
        platform.restart_service("settlement")
    assert done["rows_done"] == 5 and _results(platform, crashed["id"]) == EXPECTED
    assert httpx.post(f"{base}/{crashed['id']}:resume", headers=auth(Role.OPS)).json()["code"] == "batch_finished"

    # Civil affairs decides; ops may not; a decided batch is not decided again.
    reason = {"reason": "与医保结算记录核对一致"}
    assert httpx.post(f"{base}/{whole['id']}:approve", json=reason, headers=auth(Role.OPS)).status_code == 403
    approved = httpx.post(f"{base}/{whole['id']}:approve", json=reason, headers=auth(Role.AGENCY))
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["decision_reason"]) == ("approved", reason["reason"])
    again = httpx.post(f"{base}/{whole['id']}:reject", json=reason, headers=auth(Role.AGENCY))
    assert (again.status_code, again.json()["code"]) == (409, "batch_not_decidable")
    audit = fetch(platform.databases["settlement"], "SELECT action FROM state_changes WHERE entity_key = $1 "
                  "ORDER BY id", whole["id"])
    assert [a["action"] for a in audit] == ["upload", "calculate", "approved"]
    # a list to pay: nothing booked in the ledger
    assert fetch(platform.databases["settlement"], "SELECT count(*) AS n FROM ledger_entries") == ledger_before

    excel = httpx.get(f"{base}/{whole['id']}/results.xlsx", headers=auth(Role.AGENCY))
    assert excel.status_code == 200, excel.text
    sheet = workbook(excel.content)["明细"]
    header_row, _ = find(sheet, "应付医疗救助")
    lines = {sheet.cell(r, 1).value: r for r in range(header_row + 1, header_row + 6)}
    assert sorted(lines) == [2, 3, 4, 5, 6]
    for line, (assistance, re_assistance, personal) in EXPECTED.items():
        assert [value(sheet, f"{c}{lines[line]}") for c in "JKL"] == [D(assistance), D(re_assistance), D(personal)]
    totals = header_row + 6
    assert sheet.cell(totals, 1).value == "合计" and str(sheet[f"J{totals}"].value).startswith("=SUM")
    assert [value(sheet, f"{c}{totals}") for c in "JKL"] == [D("38814.40"), D("4965.80"), D("45349.80")]

    csv_file = httpx.get(f"{base}/{crashed['id']}/results.csv", headers=auth(Role.AGENCY))
    assert csv_file.status_code == 200 and csv_file.text.splitlines()[0].lstrip("\ufeff").startswith("行号,身份证号")
    assert csv_file.text == httpx.get(f"{base}/{whole['id']}/results.csv", headers=auth(Role.AGENCY)).text


def test_bad_files_and_early_downloads_are_refused(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    base = f"{platform.urls['settlement']}/v1/recalculations"
    ops = auth(Role.OPS) | {"Content-Type": "text/csv"}
    no_column = httpx.post(f"{base}/csv", content="姓名\n张三\n".encode(), headers=ops)
    assert (no_column.status_code, no_column.json()["code"]) == (422, "unreadable_file")
    assert no_column.headers["content-type"] == "application/problem+json"
    not_text = httpx.post(f"{base}/csv", content=b"\xff\xfe\x00\x81\x30", headers=ops)
    assert (not_text.status_code, not_text.json()["code"]) == (422, "unreadable_file")
    only_bad = httpx.post(f"{base}/csv", content=f"{HEADER}\n1,2,3,4,5,6,7,8,9,10,11\n".encode(), headers=ops)
    assert (only_bad.status_code, only_bad.json()["code"]) == (422, "no_valid_rows")
    assert only_bad.json()["rejected_rows"][0]["line"] == 2
    unknown = httpx.get(f"{base}/{'0' * 32}", headers=auth(Role.AGENCY))
    assert (unknown.status_code, unknown.json()["code"]) == (404, "batch_not_found")
    his = httpx.post(f"{base}", json={"items": [{}]}, headers=auth(Role.HIS))
    assert his.status_code == 403
    early = _upload_json(platform, auth, [{}])
    assert (early.status_code, early.json()["code"]) == (422, "no_valid_rows")


def _upload_json(platform: Platform, auth, items: list) -> httpx.Response:  # type: ignore[no-untyped-def, type-arg]
    return httpx.post(f"{platform.urls['settlement']}/v1/recalculations", json={"note": "政策调整重算", "items": items},
                      headers=auth(Role.OPS), timeout=30)


def test_a_json_upload_reports_its_bad_items_and_computes_the_rest(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    person = beneficiary(platform, auth, "minimum_allowance")
    example_1 = {"id_number": person, "hospital_code": "060001", "admitted_on": "2023-03-01",
                 "discharged_on": "2023-03-20", "medical_type": "inpatient",
                 "bill": {"total": "50000", "full_self_pay": "3000", "pre_self_pay": "2000",
                          "basic_insurance_paid": "26520", "critical_illness_paid": "7462"}}
    answer = _upload_json(platform, auth, [example_1, {**example_1, "medical_type": "dental"}])
    assert answer.status_code == 202, answer.text
    batch = answer.json()
    assert [r["line"] for r in batch["rejected_rows"]] == [2] and batch["source"] == "json"
    done = batch_when(platform, auth, batch["id"], lambda b: b["status"] == "calculated")
    assert (done["assistance"], done["re_assistance"]) == ("8814.40", "0.00")
