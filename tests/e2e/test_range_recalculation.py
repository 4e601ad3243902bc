"""A recalculation over a date range after a policy file changed (docs/rules.md §16), between real
processes on PostgreSQL: settlements made under the shipped Yantai 2023 file, assistance restarted
on a copy whose 低保 inpatient ratio is corrected from 80% to 90%, the range's settlements replayed
in the background (a crash after each chunk, resumed), each fund's difference read from the batch
and its Excel, and approval turning each person-year that moves into a correction proposal.

Every figure is worked by hand from docs/rules.md §4 and §8 (resident, 低保 from 2023-01-01):
- as settled (80%): A's 2023-03-20 is §8 example 1: S 45,000, B 26,520, R 18,480, critical illness
  tilted (18,480 − 7,000) × 65% = 7,462.00, A 11,018, assistance 8,814.40, remainder 2,203.60 < 5,000
  → re-assistance 0, personal 7,203.60. A's 2023-05-20 is example 2: C 32,500.00, A 17,500,
  assistance 14,000.00, cumulative remainder 2,203.60 + 3,500 = 5,703.60 → re-assistance
  (5,703.60 − 5,000) × 70% = 492.52, personal 120,000 − 60,000 − 32,500 − 14,000 − 492.52 = 13,007.48.
  B's 2023-09-10 is example 1 again (8,814.40 / 0 / 7,203.60). C, insured with no identity, example
  1's bill on 2023-06-10: critical illness normal (18,480 − 14,000) × 60% = 2,688.00, no assistance,
  personal 50,000 − 26,520 − 2,688 = 20,792.00.
- replayed at 90%: A's first: 11,018 × 90% = 9,916.20 (+1,101.80), remainder 1,101.80 → no
  re-assistance, personal 50,000 − 26,520 − 7,462 − 9,916.20 = 6,101.80 (−1,101.80). A's second:
  17,500 × 90% = 15,750.00 (+1,750.00; cap 30,000 − 9,916.20 = 20,083.80 not reached), cumulative
  remainder 1,101.80 + 1,750 = 2,851.80 < 5,000 → re-assistance 0 (−492.52), personal 120,000 −
  60,000 − 32,500 − 15,750 = 11,750.00 (−1,257.48). B as A's first. C unchanged (no identity).
  Critical illness and basic insurance do not move. Totals: assistance +3,953.60, re-assistance
  −492.52, personal −3,461.08; replayed assistance 9,916.20 + 15,750 + 9,916.20 = 35,582.40.
"""

import shutil
import time
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.assistance.settings import AssistanceSettings
from shared.auth import Role
from tests.e2e.conftest import Platform, fetch
from tests.e2e.settlement_support import (
    EXAMPLE_1,
    EXAMPLE_2,
    batch_when,
    beneficiary,
    registry_changes_taken_up,
    restart_then_resume,
    settle,
)
from tests.support.xlsx import find, value, workbook

pytestmark = pytest.mark.e2e

FUNDS = ("basic_insurance", "critical_illness", "special_drugs", "large_expense", "assistance", "re_assistance",
         "personal_share")
SHIPPED = AssistanceSettings.model_fields["policy_dir"].default
YEAR_2023 = {"from_date": "2023-01-01", "to_date": "2023-12-31", "region_code": "370600"}


def _corrected_policy(tmp_path: Path) -> Path:
    """The shipped policy files with the 低保 inpatient ratio corrected to 90%: a changed figure."""
    folder = shutil.copytree(SHIPPED, tmp_path / "policies")
    file = folder / "yantai-2023.toml"
    text = file.read_text(encoding="utf-8")
    old = ('[assistance.minimum_allowance]\nsource = "004 §三(六)1 低保对象80%，年度救助限额3万元"\n'
           'ratios = { inpatient = "0.80"')
    assert old in text
    file.write_text(text.replace(old, '[assistance.minimum_allowance]\nsource = "test: the figure corrected to 90%"\n'
                                      'ratios = { inpatient = "0.90"'), encoding="utf-8")
    return folder


def _settled(platform: Platform, auth, id_number: str, serial: str, bill: dict[str, str], discharged_on: str) -> str:  # type: ignore[no-untyped-def]
    answer = settle(platform, auth, id_number, serial, bill, admitted_on=discharged_on[:8] + "01",
                    discharged_on=discharged_on)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["settlement_id"])


def _create(platform: Platform, auth, body: dict[str, Any]) -> httpx.Response:  # type: ignore[no-untyped-def]
    return httpx.post(f"{platform.urls['settlement']}/v1/recalculations/ranges", json=body, headers=auth(Role.OPS),
                      timeout=30)


def _replayed(platform: Platform, batch_id: str) -> dict[str, tuple[Any, ...]]:
    """Each settlement replayed: (in the range, moves, assistance / re-assistance / personal share
    before and after, the other funds' differences)."""
    rows = fetch(platform.databases["settlement"], "SELECT * FROM recalculation_settlements WHERE batch_id = $1",
                 batch_id)
    return {r["settlement_id"]: (
        r["in_range"], r["changed"],
        *(f"{r[f'{name}_{when}']:.2f}" for name in ("assistance", "re_assistance", "personal_share")
          for when in ("before", "after")),
        tuple(r[f"{name}_after"] - r[f"{name}_before"] for name in FUNDS[:4])) for r in rows}


NONE = (D("0.00"),) * 4  # basic insurance, critical illness, special drugs, large expense: no difference


def _expected(a1: str, a2: str, b1: str, c1: str) -> dict[str, tuple[Any, ...]]:
    return {
        a1: (True, True, "8814.40", "9916.20", "0.00", "0.00", "7203.60", "6101.80", NONE),
        a2: (True, True, "14000.00", "15750.00", "492.52", "0.00", "13007.48", "11750.00", NONE),
        b1: (True, True, "8814.40", "9916.20", "0.00", "0.00", "7203.60", "6101.80", NONE),
        c1: (True, False, "0.00", "0.00", "0.00", "0.00", "20792.00", "20792.00", NONE),
    }


def _proposals(platform: Platform, auth, id_number: str, count: int) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + 40
    while True:
        found = httpx.get(f"{platform.urls['settlement']}/v1/correction-proposals",
                          params={"id_number": id_number, "status": "pending"}, headers=auth(Role.AGENCY)).json()
        if len(found["items"]) >= count or time.monotonic() > deadline:
            assert len(found["items"]) == count, found
            return list(found["items"])
        time.sleep(0.3)


def test_a_corrected_policy_figure_is_recalculated_over_a_range_resumed_and_approved_into_proposals(  # type: ignore[no-untyped-def]
    platform_with_worker: Platform, auth, tmp_path: Path,
) -> None:
    platform = platform_with_worker
    database = platform.databases["settlement"]
    base = f"{platform.urls['settlement']}/v1/recalculations"
    a, b = (beneficiary(platform, auth, "minimum_allowance") for _ in range(2))
    c = beneficiary(platform, auth, None)
    for person in (a, b, c):  # else a late identity event, replayed under the new figure, would propose too
        registry_changes_taken_up(platform, person)
    a1 = _settled(platform, auth, a, "RNG-A1", EXAMPLE_1, "2023-03-20")
    a2 = _settled(platform, auth, a, "RNG-A2", EXAMPLE_2, "2023-05-20")
    b1 = _settled(platform, auth, b, "RNG-B1", EXAMPLE_1, "2023-09-10")
    c1 = _settled(platform, auth, c, "RNG-C1", EXAMPLE_1, "2023-06-10")
    settled = {r["id"]: (f"{r['assistance']:.2f}", f"{r['re_assistance']:.2f}", f"{r['personal_share']:.2f}")
               for r in fetch(database, "SELECT id, assistance, re_assistance, personal_share FROM settlements "
                              "WHERE id = ANY($1)", [a1, a2, b1, c1])}
    assert settled == {a1: ("8814.40", "0.00", "7203.60"), a2: ("14000.00", "492.52", "13007.48"),
                       b1: ("8814.40", "0.00", "7203.60"), c1: ("0.00", "0.00", "20792.00")}
    expected = _expected(a1, a2, b1, c1)
    ledger = "SELECT count(*) AS n, sum(amount) AS total FROM ledger_entries"
    ledger_before = fetch(database, ledger)

    platform.restart_service("assistance", ASSISTANCE_POLICY_DIR=str(_corrected_policy(tmp_path)))
    try:
        # A crash after each chunk: one person a chunk (A's two settlements are never cut).
        platform.restart_service("settlement", SETTLEMENT_RECALCULATION_CHUNK_ROWS="1",
                                 SETTLEMENT_RECALCULATION_STOP_AFTER_CHUNKS="1")
        created = _create(platform, auth, {**YEAR_2023, "note": "低保救助比例更正后重算"})
        assert created.status_code == 202, created.text
        crashed = created.json()
        assert (crashed["source"], crashed["rows_total"], crashed["chunks_total"]) == ("range", 4, 3)
        assert crashed["range"] == {**YEAR_2023, "hospital_code": None}
        batch_when(platform, auth, crashed["id"], lambda batch: batch["chunks_done"] == 1)
        time.sleep(0.5)
        assert batch_when(platform, auth, crashed["id"], lambda batch: True)["status"] == "calculating"

        # While it is unfinished: an overlapping range is refused, another region's is not (and has
        # no settlement: a valid empty batch, calculated at once); nothing downloads or decides yet.
        overlapping = _create(platform, auth, {"from_date": "2023-12-01", "to_date": "2024-01-31"})
        assert (overlapping.status_code, overlapping.json()["code"]) == (409, "range_batch_running")
        assert overlapping.headers["content-type"] == "application/problem+json"
        assert overlapping.json()["batch_id"] == crashed["id"]
        elsewhere = _create(platform, auth, {**YEAR_2023, "region_code": "370405"})
        assert elsewhere.status_code == 202, elsewhere.text
        assert (elsewhere.json()["status"], elsewhere.json()["rows_total"], elsewhere.json()["differences"]) == (
            "calculated", 0, dict.fromkeys(FUNDS, "0.00"))
        early = httpx.get(f"{base}/{crashed['id']}/results.xlsx", headers=auth(Role.AGENCY))
        assert (early.status_code, early.json()["code"]) == (409, "batch_not_calculated")

        done = restart_then_resume(platform, auth, crashed["id"])
        assert _replayed(platform, crashed["id"]) == expected

        # The same range in one go gives the same: each settlement's funds, the totals.
        platform.restart_service("settlement")
        whole = _create(platform, auth, {**YEAR_2023, "note": "一次算完"}).json()
        whole = batch_when(platform, auth, whole["id"], lambda batch: batch["status"] == "calculated")
        assert _replayed(platform, whole["id"]) == expected
        for batch in (done, whole):
            assert (batch["rows_done"], batch["assistance"], batch["re_assistance"], batch["not_computed"]) == (
                4, "35582.40", "0.00", 0)
            assert batch["differences"] == {**dict.fromkeys(FUNDS, "0.00"), "assistance": "3953.60",
                                            "re_assistance": "-492.52", "personal_share": "-3461.08"}

        # The Excel: one line per settlement, each fund's difference, the totals as formulas.
        excel = httpx.get(f"{base}/{whole['id']}/results.xlsx", headers=auth(Role.AGENCY))
        assert excel.status_code == 200, excel.text
        sheet = workbook(excel.content)["明细"]
        header_row, _ = find(sheet, "医疗救助差额")
        lines = {sheet.cell(r, 2).value: r for r in range(header_row + 1, header_row + 5)}
        assert sorted(lines) == sorted(expected)
        for settlement_id, figures in expected.items():
            row = lines[settlement_id]
            assert [value(sheet, f"{col}{row}") for col in "HIJKLM"] == [D(f) for f in figures[2:8]]
            assert [value(sheet, f"{col}{row}") for col in "NOPQRST"] == [
                *NONE, D(figures[3]) - D(figures[2]), D(figures[5]) - D(figures[4]), D(figures[7]) - D(figures[6])]
        totals = header_row + 5
        assert sheet.cell(totals, 1).value == "合计" and str(sheet[f"R{totals}"].value).startswith("=SUM")
        assert [value(sheet, f"{col}{totals}") for col in "IRST"] == [
            D("35582.40"), D("3953.60"), D("-492.52"), D("-3461.08")]
        csv_file = httpx.get(f"{base}/{whole['id']}/results.csv", headers=auth(Role.AGENCY))
        assert csv_file.status_code == 200 and "医疗救助差额" in csv_file.text.splitlines()[0]
        assert csv_file.text == httpx.get(f"{base}/{crashed['id']}/results.csv", headers=auth(Role.AGENCY)).text

        # The batches wrote nothing in the ledger or the settlements.
        assert fetch(database, ledger) == ledger_before
        assert fetch(database, "SELECT count(*) AS n FROM settlements WHERE id = ANY($1) AND assistance = 8814.40",
                     [a1, b1]) == [{"n": 2}]

        # Approval: one event per person-year that moves (A's and B's 2023, not C's), each a proposal.
        reason = {"reason": "政策更正，差额转更正建议"}
        assert httpx.post(f"{base}/{whole['id']}:approve", json=reason, headers=auth(Role.OPS)).status_code == 403
        approved = httpx.post(f"{base}/{whole['id']}:approve", json=reason, headers=auth(Role.AGENCY))
        assert approved.status_code == 200 and approved.json()["status"] == "approved", approved.text
        events = fetch(database, "SELECT id_number, effective_from, effective_until, after FROM change_events "
                       "WHERE type = 'settlement.recalculated' ORDER BY effective_from")
        assert [(e["id_number"], str(e["effective_from"]), str(e["effective_until"])) for e in events] == [
            (a, "2023-03-20", "2024-01-01"), (b, "2023-09-10", "2024-01-01")]
        assert all(whole["id"] in str(e["after"]) for e in events)
        [proposal_a] = _proposals(platform, auth, a, 1)
        [proposal_b] = _proposals(platform, auth, b, 1)
        assert [r["type"] for r in proposal_a["reasons"]] == ["settlement.recalculated"]
        assert [(i["settlement_id"], i["differences"]["assistance"], i["differences"]["re_assistance"],
                 i["differences"]["personal_share"]) for i in proposal_a["items"]] == [
            (a1, "1101.80", "0.00", "-1101.80"), (a2, "1750.00", "-492.52", "-1257.48")]
        assert (proposal_a["paid_to_person"], proposal_b["paid_to_person"]) == ("2359.28", "1101.80")
        assert _proposals(platform, auth, c, 0) == []
        audit = fetch(database, "SELECT action, after FROM state_changes WHERE entity_key = $1 ORDER BY id",
                      whole["id"])
        assert [x["action"] for x in audit] == ["create", "calculate", "approved"]
        assert '"corrections_asked": 2' in str(audit[-1]["after"]).replace("'", '"')
        # Civil affairs decides the proposal as any correction: the adjustments are booked then.
        decided = httpx.post(f"{platform.urls['settlement']}/v1/correction-proposals/{proposal_a['id']}/decision",
                             headers=auth(Role.AGENCY), json={"decision": "approve", "reason": "按更正后的比例补付"})
        assert decided.status_code == 200 and decided.json()["payment"] == "pay", decided.text
        [paid] = fetch(database, "SELECT sum(amount) AS total FROM ledger_entries WHERE id_number = $1 "
                       "AND kind = 'adjustment' AND accumulator = 'assistance_paid'", a)
        assert paid["total"] == D("2851.80")  # 1,101.80 + 1,750.00
    finally:
        platform.restart_service("settlement")
        platform.restart_service("assistance")


def test_bad_ranges_are_refused_and_a_range_without_settlements_is_an_empty_batch(  # type: ignore[no-untyped-def]
    platform_with_worker: Platform, auth,
) -> None:
    platform = platform_with_worker
    base = f"{platform.urls['settlement']}/v1/recalculations"
    inverted = _create(platform, auth, {"from_date": "2023-06-30", "to_date": "2023-06-01"})
    assert (inverted.status_code, inverted.json()["code"]) == (422, "invalid_date_range")
    assert inverted.headers["content-type"] == "application/problem+json"
    too_long = _create(platform, auth, {"from_date": "2023-01-01", "to_date": "2024-01-02"})  # 367 days
    assert (too_long.status_code, too_long.json()["code"]) == (422, "date_range_too_long")
    leap_year = _create(platform, auth, {"from_date": "2020-01-01", "to_date": "2020-12-31", "hospital_code": "060001"})
    assert leap_year.status_code == 202, leap_year.text  # 366 days: the most
    for body in ({"from_date": "2023-01-01"}, {**YEAR_2023, "region_code": "3706"},
                 {**YEAR_2023, "hospital_code": "abc"}, {**YEAR_2023, "to_date": "2023-02-30"}):
        answer = _create(platform, auth, body)
        assert (answer.status_code, answer.json()["code"]) == (422, "validation_failed"), body
    his = httpx.post(f"{base}/ranges", json=YEAR_2023, headers=auth(Role.HIS))
    assert his.status_code == 403

    # No settlement discharged in 2022: a batch of none, calculated at once, downloadable, decidable.
    empty = _create(platform, auth, {"from_date": "2022-01-01", "to_date": "2022-12-31"})
    assert empty.status_code == 202, empty.text
    batch = empty.json()
    assert (batch["status"], batch["rows_total"], batch["chunks_total"], batch["assistance"]) == (
        "calculated", 0, 0, "0.00")
    excel = httpx.get(f"{base}/{batch['id']}/results.xlsx", headers=auth(Role.AGENCY))
    assert excel.status_code == 200, excel.text
    sheet = workbook(excel.content)["明细"]
    header_row, _ = find(sheet, "医疗救助差额")
    assert sheet.cell(header_row + 1, 1).value == "合计"
    resumed = httpx.post(f"{base}/{batch['id']}:resume", headers=auth(Role.OPS))
    assert (resumed.status_code, resumed.json()["code"]) == (409, "batch_finished")
    approved = httpx.post(f"{base}/{batch['id']}:approve", json={"reason": "无差额"}, headers=auth(Role.AGENCY))
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
