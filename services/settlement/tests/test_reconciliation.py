"""Reconciliation over HTTP on PostgreSQL (our books' queries on SQLite too): totals that match and
do not, a detail with every kind of difference and its CSV, bad uploads, who may reconcile, the runs
recorded, and our books untouched. The settlements are written through the store with known figures
(support.RESULT, and a smaller bill); every expected sum is worked out from them by hand."""

from collections.abc import AsyncIterator, Callable
from datetime import date, datetime
from decimal import Decimal as D
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from conftest import PEER_KEY_SETTINGS, asgi_client
from services.settlement.app import create_app
from services.settlement.ledger.models import LedgerEntryRow
from services.settlement.reconciliation.repository import ReconciliationRepository, latest_for_range
from services.settlement.reconciliation.rules import BookLine, Window
from services.settlement.settings import SettlementSettings
from services.settlement.settlements.models import SettlementRow
from services.settlement.settlements.repository import SettlementRepository
from services.settlement.settlements.store import settlement_store
from services.settlement.tests.support import CAPS, RESULT, discharge
from shared.auth import Role
from shared.clock import SHANGHAI
from shared.contracts.calculation import Bill
from shared.db import Database

pytestmark = pytest.mark.asyncio(loop_scope="session")
Auth = Callable[..., dict[str, str]]
MARCH = {"hospital_code": "060001", "from_date": "2023-03-01", "to_date": "2023-03-31"}
SMALL_BILL = Bill(total=D(20000))
SMALL = RESULT.model_copy(update={"personal_share": D("3200.00"), "basic_insurance": D("12000.00"),
                                  "critical_illness": D("0.00"), "assistance": D("4800.00")})


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2023, month, day, hour, minute, tzinfo=SHANGHAI)


# serial → (hospital, settled at (Beijing time), bill, result)
SETTLED = {
    "A1": ("060001", at(10, 10), RESULT),
    "A2": ("060001", at(31, 23, 30), SMALL),  # the last half hour of March in Beijing (15:30 UTC)
    "A3": ("060001", at(15, 9), RESULT),  # cancelled below
    "A4": ("060001", at(1, 0, 10, month=4), RESULT),  # April in Beijing, still March 31 in UTC
    "A5": ("060001", at(20, 14), RESULT),
    "B1": ("060002", at(12, 11), RESULT),  # another hospital
}


@pytest.fixture(scope="module")
async def app(migrated_database: Callable[[str], str]) -> AsyncIterator[Any]:
    settings = SettlementSettings(database_url=migrated_database("settlement"), **PEER_KEY_SETTINGS, log_json=False)
    app = create_app(settings)
    database: Database = app.state.database
    store = settlement_store(database)
    for serial, (hospital_code, settled_at, result) in SETTLED.items():
        bill = SMALL_BILL if result is SMALL else Bill(total=D(50000))
        request = discharge(serial, hospital_code=hospital_code, bill=bill)
        read = await store.claim(f"{serial:0>32}", "hash", request, "test-his")
        assert read is not None
        assert await store.record(read, f"{serial:0>32}", {"admissions": D(1)}, CAPS, settled_at, "{}", bill, result)
    async with database.engine.begin() as connection:
        assert await SettlementRepository(connection).mark_cancelled(
            f"{'A3':0>32}", at(25, 9), reason="录入错误 (wrong entry)", cancelled_by="test-ops", operator=None)
    yield app
    await database.dispose()


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(app) as client:
        yield client


# March, 060001: A1, A5 (policy example 1) and A2 in force; A3 cancelled, A4 in April, B1 elsewhere.
OURS = {"count": "3", "total": "120000.00", "fund_total": "108800.00", "basic_insurance": "65040.00",
        "critical_illness": "21331.20", "assistance": "22428.80", "re_assistance": "0.00"}
LABELS = {"count": ("结算笔数", "fixmedins_setl_cnt"), "total": ("医疗费总额", "medfee_sumamt"),
          "fund_total": ("基金支付总额", "fund_pay_sumamt"), "basic_insurance": ("基本医保统筹基金", "hifp_pay"),
          "critical_illness": ("大病保险", "hifmi_pay"), "assistance": ("医疗救助", "maf_pay"),
          "re_assistance": ("医疗救助（再救助）", None)}


def totals_body(**figures: str) -> dict[str, Any]:
    theirs = OURS | figures
    return MARCH | {"count": int(theirs["count"]), "total": theirs["total"], "fund_total": theirs["fund_total"],
                    "funds": {name: theirs[name] for name in ("basic_insurance", "critical_illness", "assistance",
                                                              "re_assistance")}}


def expected_lines(**theirs: str) -> list[dict[str, Any]]:
    return [{"item": item, "label": LABELS[item][0], "national_field": LABELS[item][1], "ours": ours,
             "theirs": theirs.get(item, ours), "difference": str(D(ours) - D(theirs.get(item, ours)))}
            for item, ours in OURS.items()]


async def test_totals_that_match(client: httpx.AsyncClient, auth: Auth) -> None:
    response = await client.post("/v1/reconciliations/totals", json=totals_body(), headers=auth(Role.OPS))
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["matched"] is True
    assert answer["kind"] == "totals"
    assert answer["run_by"] == "test-ops"
    assert answer["lines"] == expected_lines()


async def test_totals_that_do_not_match_say_which_line(client: httpx.AsyncClient, auth: Auth) -> None:
    body = totals_body(count="4", assistance="22428.90", fund_total="108800.10")
    response = await client.post("/v1/reconciliations/totals", json=body, headers=auth(Role.HIS))
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["matched"] is False
    assert answer["lines"] == expected_lines(count="4", assistance="22428.90", fund_total="108800.10")
    assert [(line["item"], line["difference"]) for line in answer["lines"] if D(line["difference"])] == [
        ("count", "-1"), ("fund_total", "-0.10"), ("assistance", "-0.10")]
    stored = await client.get(f"/v1/reconciliations/{answer['id']}", headers=auth(Role.HIS))
    assert stored.json() == answer


FUNDS_OF = {"RESULT": {"basic_insurance": "26520.00", "critical_illness": "10665.60", "assistance": "8814.40",
                       "re_assistance": "0.00"}}
# The hospital's books: A1's assistance 0.40 short, A2 missing, A3 not cancelled there, A4 (April here)
# listed, A5 cancelled there only, X9 unknown here.
THEIR_LINES = [
    {"his_serial": "A1", "total": "50000.00", **FUNDS_OF["RESULT"], "assistance": "8814.00"},
    {"his_serial": "A3", "total": "50000.00", **FUNDS_OF["RESULT"]},
    {"his_serial": "A4", "total": "50000.00", **FUNDS_OF["RESULT"]},
    {"his_serial": "A5", "total": "50000.00", **FUNDS_OF["RESULT"], "cancelled": True},
    {"his_serial": "X9", "total": "1200.00", "basic_insurance": "720.00", "critical_illness": "0.00",
     "assistance": "96.00", "re_assistance": "0.00"},
]
DIFFERENCES = [
    {"his_serial": "A1", "kind": "amount_differs", "item": "assistance", "ours": "8814.40", "theirs": "8814.00",
     "difference": "0.40"},
    {"his_serial": "A2", "kind": "missing_there", "item": None, "ours": "20000.00", "theirs": None, "difference": None},
    {"his_serial": "A3", "kind": "cancelled_here_only", "item": None, "ours": "50000.00", "theirs": "50000.00",
     "difference": None},
    {"his_serial": "A4", "kind": "missing_here", "item": None, "ours": None, "theirs": "50000.00", "difference": None},
    {"his_serial": "A5", "kind": "cancelled_there_only", "item": None, "ours": "50000.00", "theirs": "50000.00",
     "difference": None},
    {"his_serial": "X9", "kind": "missing_here", "item": None, "ours": None, "theirs": "1200.00", "difference": None},
]
CSV = (
    "\ufeff流水号,差异,差异代码,金额项,我方,医院,差额\r\n"
    "A1,金额不符,amount_differs,医疗救助,8814.40,8814.00,0.40\r\n"
    "A2,我方已结算，医院无此笔,missing_there,,20000.00,,\r\n"
    "A3,仅我方已撤销,cancelled_here_only,,50000.00,50000.00,\r\n"
    "A4,医院有此笔，我方无结算,missing_here,,,50000.00,\r\n"
    "A5,仅医院已撤销,cancelled_there_only,,50000.00,50000.00,\r\n"
    "X9,医院有此笔，我方无结算,missing_here,,,1200.00,\r\n"
)


def csv_upload(lines: list[dict[str, Any]]) -> str:
    columns = ("his_serial", "total", "basic_insurance", "critical_illness", "assistance", "re_assistance")
    rows = [",".join([*(str(line[c]) for c in columns), "1" if line.get("cancelled") else "0"]) for line in lines]
    return "\n".join([",".join([*columns, "cancelled"]), *rows]) + "\n"


async def test_a_detail_with_every_kind_of_difference(client: httpx.AsyncClient, auth: Auth) -> None:
    response = await client.post("/v1/reconciliations/detail", json=MARCH | {"lines": THEIR_LINES},
                                 headers=auth(Role.AGENCY))
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["matched"] is False
    assert answer["run_by"] == "test-agency"
    assert answer["summary"] == {"ours": 4, "theirs": 5, "missing_there": 1, "missing_here": 2, "amount_differs": 1,
                                 "cancelled_here_only": 1, "cancelled_there_only": 1}
    assert answer["differences"] == DIFFERENCES
    assert answer["differences_shown"] == 6
    assert (await client.get(f"/v1/reconciliations/{answer['id']}", headers=auth(Role.HIS))).json() == answer

    download = await client.get(f"/v1/reconciliations/{answer['id']}/differences.csv", headers=auth(Role.HIS))
    assert download.status_code == 200
    assert download.headers["content-type"] == "text/csv; charset=utf-8"
    assert download.text == CSV


async def test_the_same_detail_as_a_gb18030_csv_answers_the_same_csv(client: httpx.AsyncClient, auth: Auth) -> None:
    response = await client.post(
        "/v1/reconciliations/detail/csv", params=MARCH, content=csv_upload(THEIR_LINES).encode("gb18030"),
        headers=auth(Role.HIS) | {"Content-Type": "text/csv", "Accept": "text/csv"})
    assert response.status_code == 200, response.text
    assert response.text == CSV


async def test_books_that_agree_match(client: httpx.AsyncClient, auth: Auth) -> None:
    theirs = [{"his_serial": "A1", "total": "50000.00", **FUNDS_OF["RESULT"]},
              {"his_serial": "A2", "total": "20000.00", "basic_insurance": "12000.00", "critical_illness": "0.00",
               "assistance": "4800.00", "re_assistance": "0.00"},
              {"his_serial": "A3", "total": "50000.00", **FUNDS_OF["RESULT"], "cancelled": True},
              {"his_serial": "A5", "total": "50000.00", **FUNDS_OF["RESULT"]}]
    response = await client.post("/v1/reconciliations/detail/csv", params=MARCH, content=csv_upload(theirs),
                                 headers=auth(Role.OPS) | {"Content-Type": "text/csv"})
    assert response.status_code == 200, response.text
    assert response.json()["matched"] is True
    assert response.json()["differences"] == []


async def test_the_close_asks_for_the_latest_run_of_exactly_its_range(
    app: Any, client: httpx.AsyncClient, auth: Auth,
) -> None:
    day = {"hospital_code": "060001", "from_date": "2023-03-10", "to_date": "2023-03-10"}
    database: Database = app.state.database
    async with database.sessions() as session:
        assert await latest_for_range(session, "060001", date(2023, 3, 10), date(2023, 3, 10)) is None
    lines = [{"his_serial": "A1", "total": "50000.00", **FUNDS_OF["RESULT"]}]
    matched = (await client.post("/v1/reconciliations/detail", json=day | {"lines": lines},
                                 headers=auth(Role.HIS))).json()
    async with database.sessions() as session:
        latest = await latest_for_range(session, "060001", date(2023, 3, 10), date(2023, 3, 10))
    assert latest is not None
    assert (latest.id, latest.kind, latest.matched, latest.run_by) == (matched["id"], "detail", True, "test-his")
    lines[0]["total"] = "50000.01"
    failed = (await client.post("/v1/reconciliations/detail", json=day | {"lines": lines},
                                headers=auth(Role.HIS))).json()
    async with database.sessions() as session:
        latest = await latest_for_range(session, "060001", date(2023, 3, 10), date(2023, 3, 10))
        assert await latest_for_range(session, "060002", date(2023, 3, 10), date(2023, 3, 10)) is None
        assert await latest_for_range(session, "060001", date(2023, 3, 10), date(2023, 3, 11)) is None
    assert latest is not None
    assert (latest.id, latest.matched) == (failed["id"], False)


HEADER = "his_serial,total,basic_insurance,critical_illness,assistance,re_assistance,cancelled\n"


@pytest.mark.parametrize(("path", "body", "code"), [
    ("/v1/reconciliations/detail/csv", HEADER.replace("cancelled", "remark") + "A1,1,0,0,0,0,x\n", "unknown_column"),
    ("/v1/reconciliations/detail/csv", HEADER.replace(",re_assistance", "") + "A1,1,0,0,0,0\n", "missing_column"),
    ("/v1/reconciliations/detail/csv", HEADER + "A1,1.234,0,0,0,0,0\n", "invalid_lines"),
    ("/v1/reconciliations/detail/csv", HEADER + "A1,1,0,0,0,0,0\nA1,1,0,0,0,0,0\n", "duplicate_serial"),
    ("/v1/reconciliations/detail/csv", HEADER, "empty_upload"),
    ("/v1/reconciliations/detail/csv", b"\xff\xfe\x00", "unreadable_file"),
    ("/v1/reconciliations/detail", [FUNDS_OF["RESULT"] | {"his_serial": "A1", "total": "1"}] * 2, "duplicate_serial"),
    ("/v1/reconciliations/detail", [FUNDS_OF["RESULT"] | {"his_serial": "A1", "total": "12.345"}],
     "validation_failed"),
    ("/v1/reconciliations/detail", [FUNDS_OF["RESULT"] | {"his_serial": "A1", "total": "1", "fund": "1"}],
     "validation_failed"),
])
async def test_a_bad_upload_is_a_problem_with_a_stable_code(
    client: httpx.AsyncClient, auth: Auth, path: str, body: Any, code: str,
) -> None:
    if path.endswith("/csv"):
        response = await client.post(path, params=MARCH, content=body,
                                     headers=auth(Role.HIS) | {"Content-Type": "text/csv"})
    else:
        response = await client.post(path, json=MARCH | {"lines": body}, headers=auth(Role.HIS))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code


async def test_a_bad_amount_names_its_line_and_column(client: httpx.AsyncClient, auth: Auth) -> None:
    response = await client.post("/v1/reconciliations/detail/csv", params=MARCH,
                                 content=HEADER + "A1,1,0,0,0,0,0\nA2,1,0,abc,0,0,0\n",
                                 headers=auth(Role.HIS) | {"Content-Type": "text/csv"})
    assert response.json()["errors"] == [
        {"line": 3, "field": "critical_illness", "msg": "金额格式不对 (not an amount)：abc"}]


@pytest.mark.parametrize("path", ["/v1/reconciliations/totals", "/v1/reconciliations/detail"])
async def test_a_reversed_range_is_refused(client: httpx.AsyncClient, auth: Auth, path: str) -> None:
    body = totals_body() if path.endswith("totals") else MARCH | {"lines": THEIR_LINES}
    reversed_range = body | {"from_date": "2023-03-31", "to_date": "2023-03-01"}
    response = await client.post(path, json=reversed_range, headers=auth(Role.OPS))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "invalid_date_range"


async def test_a_his_reconciles_only_its_own_hospital(client: httpx.AsyncClient, auth: Auth) -> None:
    other = auth(Role.HIS, hospital_code="060002")
    for path, body in (("/v1/reconciliations/totals", totals_body()),
                       ("/v1/reconciliations/detail", MARCH | {"lines": THEIR_LINES})):
        response = await client.post(path, json=body, headers=other)
        assert response.status_code == 403
        assert response.json()["code"] == "hospital_mismatch"
    refused = await client.post("/v1/reconciliations/detail/csv", params=MARCH, content=csv_upload(THEIR_LINES),
                                headers=other | {"Content-Type": "text/csv"})
    assert refused.json()["code"] == "hospital_mismatch"
    run = (await client.post("/v1/reconciliations/totals", json=totals_body(), headers=auth(Role.HIS))).json()
    for path in (f"/v1/reconciliations/{run['id']}", f"/v1/reconciliations/{run['id']}/differences.csv"):
        hidden = await client.get(path, headers=other)
        assert hidden.status_code == 404
        assert hidden.json()["code"] == "reconciliation_not_found"


async def test_only_civil_affairs_among_agencies_reconciles(client: httpx.AsyncClient, auth: Auth) -> None:
    rural = auth(Role.AGENCY, agency="rural_revitalization")
    response = await client.post("/v1/reconciliations/totals", json=totals_body(), headers=rural)
    assert response.status_code == 403
    assert response.json()["code"] == "agency_not_allowed"
    civil = await client.post("/v1/reconciliations/totals", json=totals_body(), headers=auth(Role.AGENCY))
    assert civil.status_code == 200
    assert (await client.get(f"/v1/reconciliations/{civil.json()['id']}", headers=rural)).status_code == 403


async def test_reconciling_changes_no_settlement_nor_ledger_and_each_run_is_recorded(
    app: Any, client: httpx.AsyncClient, auth: Auth,
) -> None:
    database: Database = app.state.database

    async def books() -> tuple[Any, ...]:
        async with database.autocommit.connect() as connection:
            settlements = (await connection.execute(select(SettlementRow.__table__).order_by(SettlementRow.id))).all()
            entries = await connection.scalar(select(func.count()).select_from(LedgerEntryRow))
        return tuple(settlements), entries

    before = await books()
    first = (await client.post("/v1/reconciliations/totals", json=totals_body(), headers=auth(Role.OPS))).json()
    second = (await client.post("/v1/reconciliations/totals", json=totals_body(), headers=auth(Role.OPS))).json()
    assert await books() == before
    assert first["id"] != second["id"]
    assert first["lines"] == second["lines"]


async def test_our_books_read_the_same_on_both_stores(database: Database) -> None:
    """`make run` keeps the settlements in SQLite: the same figures there."""
    store = settlement_store(database)
    for serial, settled_at, result in (("S1", at(10, 10), RESULT), ("S2", at(31, 23, 30), SMALL),
                                       ("S3", at(1, 0, 10, month=4), RESULT)):
        bill = SMALL_BILL if result is SMALL else Bill(total=D(50000))
        request = discharge(serial, bill=bill)
        read = await store.claim(f"{serial:0>32}", "hash", request, "test-his")
        assert read is not None
        assert await store.record(read, f"{serial:0>32}", {"admissions": D(1)}, CAPS, settled_at, "{}", bill, result)
    async with database.engine.begin() as connection:
        assert await SettlementRepository(connection).mark_cancelled(
            f"{'S2':0>32}", at(2, 9, month=4), reason="录入错误 (wrong entry)", cancelled_by="test-ops", operator=None)
    march = Window(date(2023, 3, 1), date(2023, 3, 31))
    async with database.autocommit.connect() as connection:
        books = ReconciliationRepository(connection)
        totals = await books.totals("060001", march)
        lines = await books.book_lines("060001", march)
    assert {name: str(value) for name, value in totals.items()} == {
        "count": "1", "total": "50000.00", "basic_insurance": "26520.00", "critical_illness": "10665.60",
        "assistance": "8814.40", "re_assistance": "0.00", "fund_total": "46000.00"}
    assert totals == {"count": 1, "total": D("50000.00"), "basic_insurance": D("26520.00"),
                      "critical_illness": D("10665.60"), "assistance": D("8814.40"), "re_assistance": D("0.00"),
                      "fund_total": D("46000.00")}
    assert sorted(lines, key=lambda line: line.his_serial) == [
        BookLine("S1", False, (D("50000.00"), D("26520.00"), D("10665.60"), D("8814.40"), D("0.00"))),
        BookLine("S2", True, (D("20000.00"), D("12000.00"), D("0.00"), D("4800.00"), D("0.00"))),
    ]


async def test_runs_are_listed_by_hospital_and_overlapping_days_a_his_its_own(
    client: httpx.AsyncClient, auth: Auth,
) -> None:
    april = {"hospital_code": "060002", "from_date": "2023-04-01", "to_date": "2023-04-30"}
    zero = {"count": 0, "total": "0.00", "fund_total": "0.00", "funds": {
        "basic_insurance": "0.00", "critical_illness": "0.00", "assistance": "0.00", "re_assistance": "0.00"}}
    other = auth(Role.HIS, hospital_code="060002")
    first = (await client.post("/v1/reconciliations/totals", json=april | zero, headers=other)).json()
    second = (await client.post("/v1/reconciliations/detail", json=april | {"lines": []}, headers=auth(Role.OPS)))
    assert second.status_code == 422  # an empty detail upload is refused and never recorded
    march = (await client.post("/v1/reconciliations/totals", json={**MARCH, **zero, "hospital_code": "060002"},
                               headers=other)).json()
    assert first["matched"] is True and march["matched"] is False  # B1 was settled in March

    def listed(response: httpx.Response) -> list[str]:
        assert response.status_code == 200, response.text
        return [run["id"] for run in response.json()["items"]]

    params = {"hospital_code": "060002", "from_date": "2023-04-15", "to_date": "2023-05-31"}
    assert listed(await client.get("/v1/reconciliations", params=params, headers=auth(Role.AGENCY))) == [first["id"]]
    every = await client.get("/v1/reconciliations", params={"hospital_code": "060002"}, headers=auth(Role.OPS))
    assert listed(every) == [march["id"], first["id"]]  # newest first
    assert every.json()["items"][0] == {k: v for k, v in march.items() if k != "lines"}
    assert listed(await client.get("/v1/reconciliations", params={"to_date": "2023-03-31"}, headers=other)) == [
        march["id"]]  # a HIS naming no hospital gets its own
    refused = await client.get("/v1/reconciliations", params={"hospital_code": "060001"}, headers=other)
    assert refused.status_code == 403
    assert refused.json()["code"] == "hospital_mismatch"
    reversed_range = await client.get("/v1/reconciliations", params={"from_date": "2023-05-01",
                                                                     "to_date": "2023-04-01"}, headers=other)
    assert reversed_range.status_code == 422
    assert reversed_range.json()["code"] == "invalid_date_range"
    rural = await client.get("/v1/reconciliations", headers=auth(Role.AGENCY, agency="rural_revitalization"))
    assert rural.json()["code"] == "agency_not_allowed"
