"""The fund flow over real HTTP on PostgreSQL: civil affairs pre-funds two district accounts, HIS
settlements draw on the hospital's district (POLICY.md §8 examples 1 and 2: 8,814.40; 14,000.00 +
492.52), one is cancelled, one district runs negative and still settles; the month's clearing
statement as JSON, Excel (read back, formulas computed) and PDF (rendered by PDFium); the warning
on /metrics; roles and problems."""

import time
from datetime import datetime
from decimal import Decimal as D

import httpx
import pytest

from shared.auth import Role
from shared.clock import SHANGHAI
from tests.e2e.conftest import Platform
from tests.e2e.settlement_support import EXAMPLE_1, EXAMPLE_2, beneficiary, settle
from tests.support.pdf import assert_rendered
from tests.support.xlsx import find, value, workbook

pytestmark = pytest.mark.e2e

CITY_CENTRE, ZHIFU = "060001", "060016"  # 毓璜顶医院 (市直 370601), 芝罘医院 (芝罘区 370602)


@pytest.fixture(scope="module")
def fund(platform: Platform) -> str:
    """The settlement service with the balance gauges recomputed every half second."""
    platform.restart_service("settlement", SETTLEMENT_FUND_METRICS_REFRESH_SECONDS="0.5")
    return f"{platform.urls['settlement']}/v1/fund"


def pre_fund(fund: str, headers: dict[str, str], region: str, amount: str, reference: str) -> httpx.Response:
    today = datetime.now(SHANGHAI).date().isoformat()
    return httpx.post(f"{fund}/pre-fundings", headers=headers, json={
        "region_code": region, "amount": amount, "funded_on": today, "reference": reference})


def gauge(platform: Platform, auth, name: str, region: str) -> float | None:  # type: ignore[no-untyped-def]
    text = httpx.get(f"{platform.urls['settlement']}/metrics", headers=auth(Role.OPS)).text
    prefix = f'{name}{{region="{region}"}} '
    return next((float(line.removeprefix(prefix)) for line in text.splitlines() if line.startswith(prefix)), None)


def test_a_month_of_two_districts_one_overdrawn_and_still_settling(platform: Platform, fund: str, auth) -> None:  # type: ignore[no-untyped-def]
    civil_affairs = auth(Role.AGENCY)
    assert pre_fund(fund, civil_affairs, "370601", "10000.00", "E2E-YMZ-01").status_code == 201
    recorded = pre_fund(fund, civil_affairs, "370602", "5000.00", "E2E-YMZ-02")
    assert recorded.status_code == 201, recorded.text
    assert recorded.json()["recorded_by"] == "test-agency"

    at_city_centre = settle(platform, auth, beneficiary(platform, auth, "minimum_allowance"), "FUND-1", EXAMPLE_1,
                            hospital_code=CITY_CENTRE)
    assert at_city_centre.status_code == 201, at_city_centre.text
    person = beneficiary(platform, auth, "minimum_allowance")  # registered in 芝罘区
    first = settle(platform, auth, person, "FUND-2", EXAMPLE_1, hospital_code=ZHIFU)
    assert first.status_code == 201, first.text
    balances = {b["region_code"]: b for b in httpx.get(f"{fund}/balances", headers=civil_affairs).json()["items"]}
    assert D(balances["370602"]["balance"]) == D("-3814.40")  # 5,000.00 − 8,814.40: overdrawn
    # A patient is never refused because the fund ran low: the second admission settles in full.
    second = settle(platform, auth, person, "FUND-3", EXAMPLE_2, hospital_code=ZHIFU,
                    admitted_on="2023-04-01", discharged_on="2023-04-20")
    assert second.status_code == 201, second.text
    cancelled = httpx.post(
        f"{platform.urls['settlement']}/v1/settlements/{at_city_centre.json()['settlement_id']}/cancel",
        headers=auth(Role.HIS, hospital_code=CITY_CENTRE), json={"reason": "重复结算"})
    assert cancelled.status_code == 200, cancelled.text

    month = f"{datetime.now(SHANGHAI):%Y-%m}"
    zhifu = httpx.get(f"{fund}/accounts/370602/statements/{month}", headers=civil_affairs).json()
    assert [D(zhifu[k]) for k in ("opening_balance", "pre_funded", "drawn_assistance", "drawn_re_assistance",
                                  "adjustments", "closing_balance")] == [
        D("0.00"), D("5000.00"), D("22814.40"), D("492.52"), D("0.00"), D("-18306.92")]
    assert zhifu["warning"]["standing"] == "negative" and zhifu["to_date"] is True
    city_centre = httpx.get(f"{fund}/accounts/370601/statements/{month}", headers=auth(Role.OPS)).json()
    assert [D(city_centre[k]) for k in ("pre_funded", "drawn", "adjustments", "closing_balance")] == [
        D("10000.00"), D("8814.40"), D("8814.40"), D("10000.00")]  # drawn, then given back by the cancellation
    whole = httpx.get(f"{fund}/accounts/370600/statements/{month}", headers=civil_affairs).json()
    assert D(whole["closing_balance"]) == D("-8306.92")

    excel = httpx.get(f"{fund}/accounts/370602/statements/{month}/statement.xlsx", headers=civil_affairs)
    assert excel.status_code == 200, excel.text
    assert excel.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    sheet = workbook(excel.content).active
    assert find(sheet, "民政医疗救（补）助资金往来月度清算表") == (1, 1)
    labels = ("期初余额", "加：本月预拨", "减：本月医疗救助支出", "减：本月再救助支出", "加：本月调整（撤销结算退回）",
              "期末余额")
    rows = {label: find(sheet, label)[0] for label in labels}
    assert [value(sheet, f"B{row}") for row in rows.values()] == [
        D("0.00"), D("5000.00"), D("22814.40"), D("492.52"), D("0.00"), D("-18306.92")]
    assert str(sheet[f"B{rows['期末余额']}"].value).startswith("=")  # Excel computes it
    header_row, _ = find(sheet, "医疗机构编码")
    assert [sheet.cell(header_row, c).value for c in range(1, 7)] == [
        "区县账户", "医疗机构编码", "结算笔数", "医疗救助", "再救助", "合计支出"]
    assert [sheet.cell(header_row + 1, c).value for c in (1, 2, 3)] == ["370602", ZHIFU, 2]
    assert [value(sheet, f"{column}{header_row + 2}") for column in "CDEF"] == [
        2, D("22814.40"), D("492.52"), D("23306.92")]

    pdf = httpx.get(f"{fund}/accounts/370602/statements/{month}/statement.pdf", headers=civil_affairs)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    for text in ("民政医疗救（补）助资金往来月度清算表", "370602 芝罘区", "预拨资金已透支", "期末余额", "-18306.92",
                 "22814.40", "492.52", ZHIFU):
        assert_rendered(pdf.content, text)

    deadline = time.monotonic() + 10
    while gauge(platform, auth, "assistance_fund_balance_yuan", "370602") != -18306.92:
        assert time.monotonic() < deadline, "the balance gauge was not refreshed"
        time.sleep(0.2)
    assert gauge(platform, auth, "assistance_fund_low", "370602") == 1
    assert gauge(platform, auth, "assistance_fund_low", "370601") == 0  # nothing drawn net: no warning


def test_a_hospital_has_no_access_and_bad_input_is_a_problem(platform: Platform, fund: str, auth) -> None:  # type: ignore[no-untyped-def]
    his, civil_affairs = auth(Role.HIS), auth(Role.AGENCY)
    for answer in (pre_fund(fund, his, "370602", "1.00", "E2E-HIS"),
                   httpx.get(f"{fund}/accounts/370602/statements/2023-03", headers=his),
                   httpx.get(f"{fund}/balances", headers=his)):
        assert answer.status_code == 403
        assert answer.headers["content-type"] == "application/problem+json"
    refused: list[tuple[httpx.Response, int, str]] = [
        (pre_fund(fund, civil_affairs, "370602", "-100.00", "E2E-NEG"), 422, "validation_failed"),
        (pre_fund(fund, civil_affairs, "370602", "0", "E2E-ZERO"), 422, "validation_failed"),
        (pre_fund(fund, civil_affairs, "370602", "1.001", "E2E-FEN"), 422, "validation_failed"),
        (pre_fund(fund, civil_affairs, "370699", "1.00", "E2E-UNKNOWN"), 422, "fund_region_unknown"),
        (pre_fund(fund, civil_affairs, "370405", "1.00", "E2E-TAIERZHUANG"), 422, "fund_region_unknown"),
        (httpx.post(f"{fund}/pre-fundings", headers=civil_affairs, json={
            "region_code": "370602", "amount": "1.00", "funded_on": "2099-01-01", "reference": "E2E-FUTURE"}),
         422, "funded_on_in_future"),
        (httpx.get(f"{fund}/accounts/370602/statements/2099-01", headers=civil_affairs), 422, "month_in_future"),
        (httpx.get(f"{fund}/accounts/370602/statements/2023-13", headers=civil_affairs), 422, "invalid_month"),
        (httpx.get(f"{fund}/accounts/370699/statements/2023-03/statement.xlsx", headers=civil_affairs), 404,
         "fund_account_not_found"),
    ]
    for answer, status, code in refused:
        assert answer.status_code == status, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["code"] == code
    assert pre_fund(fund, civil_affairs, "370611", "1.00", "E2E-ONCE").status_code == 201
    again = pre_fund(fund, civil_affairs, "370611", "1.00", "E2E-ONCE")
    assert (again.status_code, again.json()["code"]) == (409, "pre_funding_duplicate")
    listed = httpx.get(f"{fund}/accounts/370611/pre-fundings", headers=civil_affairs).json()["items"]
    assert [(p["reference"], p["amount"]) for p in listed] == [("E2E-ONCE", "1.00")]
