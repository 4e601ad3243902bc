"""The fund flow on both backends (PostgreSQL, the database of record, and SQLite): pre-fundings,
settlements in two districts across a month's edges in Beijing time, a cancellation, approved
corrections, and the clearing statements with their opening and closing balances to the fen. The
amounts drawn are the assistance and re-assistance of POLICY's worked examples 1 (8,814.40 + 0.00) and
2 (14,000.00 + 492.52)."""

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
from services.settlement.tests.support import CAPS, DELTAS, RESULT, decided_correction, discharge
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


@pytest.fixture
async def corrected(march: FundService, database: Database) -> FundService:
    """On top of `march`, approved corrections (docs/rules.md §13): 市直's example 2 (S2) +1,000.00
    assistance and +200.00 re-assistance on 20 March; its S4 −500.00 assistance at 23:59 on 31 March
    (Beijing: March); 芝罘区's example 1 (S3) −8,814.40 at 00:05 on 1 April (April). A rejected
    proposal and one still pending move nothing."""
    await decided_correction(database, "P1", f"{'S2':0>32}", beijing(2023, 3, 20, 10), "1000.00", "200.00")
    await decided_correction(database, "P2", f"{'S4':0>32}", beijing(2023, 3, 31, 23, 59), "-500.00", "0.00")
    await decided_correction(database, "P3", f"{'S3':0>32}", beijing(2023, 4, 1, 0, 5), "-8814.40", "0.00")
    await decided_correction(database, "P4", f"{'S2':0>32}", beijing(2023, 3, 21), "9999.00", "0.00",
                             status="rejected")
    await decided_correction(database, "P5", f"{'S4':0>32}", beijing(2023, 3, 22), "7777.00", "0.00",
                             status="pending")
    return march


async def test_approved_corrections_are_paid_out_or_come_back_in_the_month_of_approval(corrected: FundService) -> None:
    march = await corrected.statement("370601", "2023-03")
    # 11,185.60 + 10,000.00 − 23,306.92 + 8,814.40 (cancellation) − 1,200.00 (P1) + 500.00 (P2) = 5,993.08
    assert (march.opening_balance, march.pre_funded, march.drawn, march.adjustments, march.corrections_paid,
            march.corrections_recovered, march.closing_balance) == (
        D("11185.60"), D("10000.00"), D("23306.92"), D("8814.40"), D("1200.00"), D("500.00"), D("5993.08"))
    assert [(c.proposal_id, c.settlement_id, c.region_code, c.hospital_code, c.assistance, c.re_assistance, c.total)
            for c in march.corrections] == [
        (f"{'P1':0>32}", f"{'S2':0>32}", "370601", "060001", D("1000.00"), D("200.00"), D("1200.00")),
        (f"{'P2':0>32}", f"{'S4':0>32}", "370601", "060002", D("-500.00"), D("0.00"), D("-500.00"))]
    # The warning's net draw over the 30 days counts them: 14,492.52 + 700.00 = 15,192.52, 506.42 a day:
    # 5,993.08 lasts 11.8 days.
    assert (march.warning.standing, march.warning.days_of_cover) == (Standing.LOW, D("11.8"))
    april = await corrected.statement("370601", "2023-04")
    assert (april.opening_balance, april.drawn, april.corrections_paid, april.closing_balance) == (
        D("5993.08"), D("8814.40"), D("0.00"), D("-2821.32"))

    zhifu_march = await corrected.statement("370602", "2023-03")
    assert (zhifu_march.corrections, zhifu_march.closing_balance) == ([], D("-3814.40"))
    zhifu_april = await corrected.statement("370602", "2023-04")  # −3,814.40 + 8,814.40 back
    assert (zhifu_april.opening_balance, zhifu_april.corrections_recovered, zhifu_april.closing_balance) == (
        D("-3814.40"), D("8814.40"), D("5000.00"))
    city = await corrected.statement("370600", "2023-03")
    assert (city.corrections_paid, city.corrections_recovered, city.closing_balance) == (
        D("1200.00"), D("500.00"), D("2178.68"))  # 2,878.68 − 700.00
    balances = {b.region_code: b.balance for b in (await corrected.balances()).items}
    assert balances == {"370600": D("2178.68"), "370601": D("-2821.32"), "370602": D("5000.00")}


async def test_the_corrections_lines_in_the_excel_and_pdf_statement(corrected: FundService) -> None:
    statement = await corrected.statement("370601", "2023-03")
    document = clearing_document(statement)
    sheet = workbook(write_xlsx(document)).active
    for label, amount in [("减：本月更正补付", D("1200.00")), ("加：本月更正追回", D("500.00")),
                          ("期末余额", D("5993.08"))]:
        assert value(sheet, f"B{find(sheet, label)[0]}") == amount, label  # the closing: a formula over the terms
    paid_row, _ = find(sheet, "本月更正补付（已批准的更正建议，由基金支出）")
    assert [sheet.cell(paid_row + 1, c).value for c in range(1, 9)] == [
        "批准日期", "更正建议编号", "结算编号", "区县账户", "医疗机构编码", "医疗救助", "再救助", "合计"]
    assert [value(sheet, f"{get_column_letter(c)}{paid_row + 2}") for c in range(6, 9)] == [
        D("1000.00"), D("200.00"), D("1200.00")]
    assert (sheet.cell(paid_row + 3, 1).value, value(sheet, f"H{paid_row + 3}")) == ("合计", D("1200.00"))
    recovered_row, _ = find(sheet, "本月更正追回（已批准的更正建议，退回基金）")
    assert [value(sheet, f"{get_column_letter(c)}{recovered_row + 2}") for c in range(6, 9)] == [
        D("500.00"), D("0.00"), D("500.00")]  # shown as what came back
    assert sheet.cell(recovered_row + 2, 1).value.date() == date(2023, 3, 31)  # 23:59 Beijing
    pdf = render_table_document(document)
    for text in ("本月更正补付", "本月更正追回", "1200.00", "5993.08"):
        assert_rendered(pdf, text)
