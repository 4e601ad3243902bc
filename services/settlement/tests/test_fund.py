"""The fund flow on both backends (PostgreSQL, the database of record, and SQLite): pre-fundings,
settlements in two districts across a month's edges in Beijing time, a cancellation, and the clearing
statements with their opening and closing balances to the fen. The amounts drawn are the assistance
and re-assistance of POLICY's worked examples 1 (8,814.40 + 0.00) and 2 (14,000.00 + 492.52)."""

from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest
from openpyxl.utils import get_column_letter
from prometheus_client import CollectorRegistry

from services.settlement.documents.excel import write_xlsx
from services.settlement.documents.pdf import render_table_document
from services.settlement.fund.document import clearing_document
from services.settlement.fund.rules import Standing
from services.settlement.fund.schemas import PreFundingRequest
from services.settlement.fund.service import FundGauges, FundService
from services.settlement.settlements.repository import SettlementRepository
from services.settlement.settlements.store import settlement_store
from services.settlement.tests.support import CAPS, DELTAS, RESULT, discharge
from shared.auth import Principal, Role
from shared.clock import SHANGHAI
from shared.db import Database
from shared.errors import Problem
from tests.support.pdf import assert_rendered
from tests.support.people import new_id_number
from tests.support.xlsx import find, value, workbook

REGIONS = {"370600": "烟台市", "370601": "市直", "370602": "芝罘区", "370611": "福山区"}
CIVIL_AFFAIRS = Principal(subject="agency-yantai-mz", role=Role.AGENCY)
EXAMPLE_2 = RESULT.model_copy(update={"assistance": D("14000.00"), "re_assistance": D("492.52")})


async def _regions() -> dict[str, str]:
    return REGIONS


def beijing(*moment: int) -> datetime:
    return datetime(*moment, tzinfo=SHANGHAI).astimezone(UTC)


def service(database: Database, gauges: FundGauges | None = None) -> FundService:
    return FundService(database, _regions, threshold_days=D(15), window_days=30, gauges=gauges)


async def settled(database: Database, serial: str, hospital: str, region: str, at: datetime, result=RESULT) -> str:  # type: ignore[no-untyped-def]
    store = settlement_store(database)
    settlement_id = f"{serial:0>32}"
    request = discharge(serial, hospital_code=hospital, id_number=new_id_number())  # caps apart
    read = await store.claim(settlement_id, "hash", request, "his-test")
    assert read is not None
    assert await store.record(read, settlement_id, DELTAS, CAPS, at, "{}", request.bill, result,
                              fund_region_code=region)
    return settlement_id


async def cancelled(database: Database, settlement_id: str, at: datetime) -> None:
    async with database.engine.begin() as connection:
        assert await SettlementRepository(connection).mark_cancelled(
            settlement_id, at, reason="重复结算", cancelled_by="his-test", operator=None) is not None


async def pre_fund(fund: FundService, region: str, amount: str, on: date, reference: str) -> None:
    await fund.record(PreFundingRequest(region_code=region, amount=D(amount), funded_on=on, reference=reference),
                      CIVIL_AFFAIRS)


@pytest.fixture
async def march(database: Database) -> FundService:
    """市直 (370601) pre-funded 20,000.00 in February and 10,000.00 in March; 芝罘区 (370602) 5,000.00 in
    March. February: one Example 1 at 市直, cancelled on 15 March. March: Example 2 at 市直, Example 1
    at 芝罘区, Example 1 at 市直 at 23:30 on the 31st (Beijing: still March); 00:10 on 1 April: April."""
    fund = service(database)
    await pre_fund(fund, "370601", "20000.00", date(2023, 2, 20), "YMZ-2023-02")
    await pre_fund(fund, "370601", "10000.00", date(2023, 3, 1), "YMZ-2023-03-A")
    await pre_fund(fund, "370602", "5000.00", date(2023, 3, 5), "YMZ-2023-03-B")
    february = await settled(database, "S1", "060001", "370601", beijing(2023, 2, 25, 10))
    await settled(database, "S2", "060001", "370601", beijing(2023, 3, 10, 9), EXAMPLE_2)
    await settled(database, "S3", "060016", "370602", beijing(2023, 3, 12, 15))
    await settled(database, "S4", "060002", "370601", beijing(2023, 3, 31, 23, 30))
    await settled(database, "S5", "060002", "370601", beijing(2023, 4, 1, 0, 10))
    await cancelled(database, february, beijing(2023, 3, 15, 11))
    return fund


async def test_a_districts_month_opening_pre_funded_drawn_adjusted_closing(march: FundService) -> None:
    statement = await march.statement("370601", "2023-03")
    assert statement.opening_balance == D("11185.60")  # 20,000.00 − February's 8,814.40
    assert statement.pre_funded == D("10000.00")
    assert (statement.drawn_assistance, statement.drawn_re_assistance) == (D("22814.40"), D("492.52"))
    assert statement.drawn == D("23306.92")
    assert statement.adjustments == D("8814.40")  # February's settlement, cancelled in March, gives back
    assert statement.closing_balance == D("6693.08")
    assert (statement.settlements, statement.cancellations_count) == (2, 1)
    assert [(h.hospital_code, h.settlements, h.total) for h in statement.by_hospital] == [
        ("060001", 1, D("14492.52")), ("060002", 1, D("8814.40"))]
    assert [c.returned for c in statement.cancellations] == [D("8814.40")]
    # 30 days to 1 April drew 14,492.52 net (the cancelled 8,814.40 came back): 483.08 a day, 13.9 days
    assert (statement.warning.standing, statement.warning.days_of_cover) == (Standing.LOW, D("13.9"))
    april = await march.statement("370601", "2023-04")
    assert (april.opening_balance, april.drawn, april.closing_balance) == (
        D("6693.08"), D("8814.40"), D("-2121.32"))
    assert april.warning.standing == Standing.NEGATIVE


async def test_a_district_drawn_beyond_its_pre_funding_is_warned_negative(march: FundService) -> None:
    statement = await march.statement("370602", "2023-03")
    assert (statement.opening_balance, statement.pre_funded, statement.drawn, statement.closing_balance) == (
        D("0.00"), D("5000.00"), D("8814.40"), D("-3814.40"))
    assert statement.warning.standing == Standing.NEGATIVE
    assert "透支" in (statement.warning.message or "")


async def test_the_citys_statement_is_the_sum_of_its_districts(march: FundService) -> None:
    statement = await march.statement("370600", "2023-03")
    assert (statement.opening_balance, statement.pre_funded, statement.drawn, statement.adjustments,
            statement.closing_balance) == (D("11185.60"), D("15000.00"), D("32121.32"), D("8814.40"), D("2878.68"))
    assert statement.closing_balance == D("6693.08") + D("-3814.40")
    assert statement.settlements == 3


async def test_the_balances_now_and_their_gauges(march: FundService, database: Database) -> None:
    registry = CollectorRegistry()
    fund = service(database, FundGauges(registry))
    await fund.refresh_gauges()
    balances = {b.region_code: b for b in (await fund.balances()).items}
    assert {code: b.balance for code, b in balances.items()} == {
        "370600": D("-5935.72"), "370601": D("-2121.32"), "370602": D("-3814.40")}
    assert "370611" not in balances  # no pre-funding, no draw: no account
    assert registry.get_sample_value("assistance_fund_balance_yuan", {"region": "370602"}) == -3814.40
    assert registry.get_sample_value("assistance_fund_low", {"region": "370602"}) == 1
    assert registry.get_sample_value("assistance_fund_low", {"region": "370600"}) == 1


async def test_the_statement_as_excel_reads_back_to_our_figures(march: FundService) -> None:
    statement = await march.statement("370601", "2023-03")
    sheet = workbook(write_xlsx(clearing_document(statement))).active
    closing_row, _ = find(sheet, "期末余额")
    assert value(sheet, f"B{closing_row}") == D("6693.08")
    assert value(sheet, f"B{find(sheet, '期初余额')[0]}") == D("11185.60")
    header_row, _ = find(sheet, "医疗机构编码")
    assert [sheet.cell(header_row, c).value for c in range(1, 7)] == [
        "区县账户", "医疗机构编码", "结算笔数", "医疗救助", "再救助", "合计支出"]
    totals_row = header_row + 3
    assert sheet.cell(totals_row, 1).value == "合计"
    assert [value(sheet, f"{get_column_letter(c)}{totals_row}") for c in range(3, 7)] == [
        2, D("22814.40"), D("492.52"), D("23306.92")]


async def test_bad_pre_fundings_are_refused_and_nothing_is_written(march: FundService) -> None:
    cases = [("370699", date(2023, 3, 1), "R1", "fund_region_unknown"),
             ("370405", date(2023, 3, 1), "R2", "fund_region_unknown"),  # Tai'erzhuang: not this city's fund
             ("370602", date(2099, 1, 1), "R3", "funded_on_in_future"),
             ("370602", date(2023, 3, 1), "YMZ-2023-03-B", "pre_funding_duplicate")]
    for region, on, reference, code in cases:
        with pytest.raises(Problem) as raised:
            await pre_fund(march, region, "1.00", on, reference)
        assert raised.value.code == code
    assert len((await march.listing("370600")).items) == 3
    with pytest.raises(Problem) as raised:
        await march.statement("370699", "2023-03")
    assert raised.value.code == "fund_account_not_found"


async def test_a_month_with_nothing_but_a_draw_writes_empty_lists_and_a_red_closing(march: FundService) -> None:
    april = await march.statement("370601", "2023-04")  # no pre-funding, no cancellation
    document = clearing_document(april)
    sheet = workbook(write_xlsx(document)).active
    assert value(sheet, f"B{find(sheet, '期末余额')[0]}") == D("-2121.32")
    header_row, _ = find(sheet, "拨款凭证号")
    assert sheet.cell(header_row + 1, 1).value == "合计" and sheet.cell(header_row + 1, 4).value == 0
    pdf = render_table_document(document)
    for text in ("预拨资金已透支", "-2121.32", "6693.08"):
        assert_rendered(pdf, text)
