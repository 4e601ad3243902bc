"""The frozen claim as its downloads, on PostgreSQL: the workbook read back (headers, and every sum a
formula that computes to the claim's figures to the fen) and the printout rendered (its text, the
boxes to sign and seal, and a long list of adjustments cut short). Expected figures from the policy
example (support.RESULT: a 50,000 bill; basic 26,520, critical illness 10,665.60, assistance 8,814.40)."""

from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal as D
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from openpyxl.utils import get_column_letter

from services.settlement.claims.document import PRINTED_LINES, claim_printout, claim_workbook
from services.settlement.claims.repository import ClaimRepository
from services.settlement.claims.rules import Payee, Status
from services.settlement.claims.schemas import Payment, Rejection, Review
from services.settlement.claims.service import ClaimService
from services.settlement.documents.excel import write_xlsx
from services.settlement.documents.pdf import render_table_document
from services.settlement.settlements.store import settlement_store
from services.settlement.tests.support import CAPS, DELTAS, RESULT, discharge, record
from services.settlement.tests.test_cancel import WRONG_PERSON, flow
from services.settlement.tests.test_claims import CIVIL_AFFAIRS, HIS, OPS, PAST_THE_GATE, WITH_LARGE_EXPENSE
from shared.auth import Principal, Role
from shared.clock import today
from shared.db import Database
from shared.errors import Problem
from tests.support.pdf import assert_rendered, page_text
from tests.support.people import new_id_number
from tests.support.stores import migrated_url
from tests.support.xlsx import find, value, workbook

pytestmark = pytest.mark.asyncio(loop_scope="session")
ROOT = Path(__file__).parents[1]
HEADERS = ["项目", "笔数", "医疗费用总额", "基本医保统筹基金", "大病保险", "大病保险特殊药品", "职工大额医疗费用补助",
           "医疗救助", "医疗救助（再救助）", "申报拨付（救助合计）"]
LINE_HEADERS = ["类别", "流水号", "结算编号", "结算日期", "撤销日期", *HEADERS[2:], "拒付理由"]


@pytest.fixture
async def database(migrated_database: Callable[[str], str], tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(migrated_url("postgresql", ROOT, migrated_database, tmp_path))
    yield database
    await database.dispose()


async def period(database: Database, hospital_code: str, rule_id: str, starts_on: date, ends_on: date) -> str:
    period_id = f"{hospital_code}{starts_on:%Y%m}".ljust(32, "0")
    async with database.engine.begin() as connection:
        await ClaimRepository(connection).add_period(
            id=period_id, hospital_code=hospital_code, rule_id=rule_id, starts_on=starts_on, ends_on=ends_on,
            status=Status.OPEN, opened_at=datetime.now(UTC), opened_by="test")
    return period_id


async def settle(database: Database, serial: str, day: date, result=RESULT, hospital_code: str = "060001") -> None:  # type: ignore[no-untyped-def]
    request = discharge(serial, id_number=new_id_number(), hospital_code=hospital_code)
    at = datetime(day.year, day.month, day.day, 2, tzinfo=UTC)
    assert await record(settlement_store(database), serial, DELTAS, CAPS, request, result, at)


def row_values(sheet, row: int, first: int = 1, last: int | None = None) -> list[D]:  # type: ignore[no-untyped-def]
    return [value(sheet, f"{get_column_letter(c)}{row}") for c in range(first, (last or sheet.max_column) + 1)]


def headers(sheet, text: str) -> tuple[int, list[str]]:  # type: ignore[no-untyped-def]
    row, _ = find(sheet, text)
    return row, [sheet.cell(row, c).value for c in range(1, sheet.max_column + 1) if sheet.cell(row, c).value]


async def test_a_paid_claim_and_the_next_with_its_adjustment_download_with_our_figures(database: Database) -> None:
    claims = ClaimService(database, flow(database))
    october = await period(database, "060001", "yantai-2020", date(2025, 10, 1), date(2025, 10, 31))
    await settle(database, "a1", date(2025, 10, 3))
    await settle(database, "a2", date(2025, 10, 9), WITH_LARGE_EXPENSE)
    await settle(database, "a3", date(2025, 10, 20))
    with pytest.raises(Problem) as refused:
        await claims.contents(october, HIS, printout=False)
    assert (refused.value.status, refused.value.code) == (409, "claim_not_closed")
    await claims.close(october, PAST_THE_GATE, OPS)
    await claims.review(october, Review(rejections=[Rejection(settlement_id=f"{'a3':0>32}", reason="票据不全")]),
                        CIVIL_AFFAIRS)
    await claims.approve(october, CIVIL_AFFAIRS)
    # Claimed back: 8,814.40 × 3 + 10.05 = 26,453.25; a3 s 8,814.40 rejected: 17,638.85 approved and paid.
    await claims.pay(october, Payment(amount=D("17638.85"), paid_on=today(), reference="CZ-2025-10-01",
                                      payee=Payee.HOSPITAL), CIVIL_AFFAIRS)
    other_his = Principal(subject="his-060002", role=Role.HIS, hospital_code="060002")
    with pytest.raises(Problem) as hidden:
        await claims.contents(october, other_his, printout=True)
    assert (hidden.value.status, hidden.value.code) == (404, "claim_period_not_found")

    contents = await claims.contents(october, HIS, printout=False)
    book = workbook(write_xlsx(claim_workbook(contents)))
    front = book.active
    header_row, names = headers(front, "项目")
    assert names == HEADERS
    assert [front.cell(header_row + 1, 1).value, front.cell(header_row + 2, 1).value] == ["结算", "冲减"]
    totals = header_row + 3
    assert front.cell(totals, 1).value == "合计" and str(front.cell(totals, 3).value).startswith("=SUM(")
    assert row_values(front, totals, 3, 10) == [
        D("150000.00"), D("79560.00"), D("31996.80"), D("0.00"), D("2000.00"), D("26443.20"), D("10.05"),
        D("26453.25")]
    assert value(front, f"B{find(front, '申报拨付金额')[0]}") == D("26453.25")
    approved_row, _ = find(front, "审批金额")
    assert str(front[f"B{approved_row}"].value).startswith("=") and value(front, f"B{approved_row}") == D("17638.85")
    rejected_row, rejected_names = headers(front, "拒付理由")
    assert rejected_names == ["流水号", "结算编号", "拒付金额", "拒付理由"]
    assert [front.cell(rejected_row + 1, c).value for c in (1, 4)] == ["a3", "票据不全"]
    assert value(front, f"C{rejected_row + 2}") == D("8814.40")
    assert find(front, "定点医疗机构（盖章）")
    lines = book["申报明细"]
    line_row, line_names = headers(lines, "类别")
    assert line_names == LINE_HEADERS
    assert [lines.cell(r, 2).value for r in range(line_row + 1, line_row + 4)] == ["a1", "a2", "a3"]
    assert lines.cell(line_row + 3, 14).value == "票据不全"
    assert lines.cell(line_row + 4, 1).value == "合计"
    assert row_values(lines, line_row + 4, 6, 13) == row_values(front, totals, 3, 10)

    printout = render_table_document(claim_printout(await claims.contents(october, HIS, printout=True)))
    text = page_text(printout)
    for expected in ("定点医疗机构医疗救助费用申报表", "已拨付", "26453.25", "17638.85", "票据不全", "CZ-2025-10-01",
                     "定点医疗机构（盖章）", "民政部门审核（盖章）", "拨付单位（盖章）", "全部明细见申报表 Excel"):
        assert expected in text, expected
    assert_rendered(printout, "申报汇总")

    # November: a4 and a5, less a2 cancelled after October closed (a paid line: deducted).
    await flow(database).cancel(f"{'a2':0>32}", HIS, WRONG_PERSON)
    november = await period(database, "060001", "yantai-2020", date(2025, 11, 1), date(2025, 11, 30))
    await settle(database, "a4", date(2025, 11, 4))
    await settle(database, "a5", date(2025, 11, 5))
    await claims.close(november, PAST_THE_GATE, OPS)
    contents = await claims.contents(november, HIS, printout=False)
    front = workbook(write_xlsx(claim_workbook(contents))).active
    header_row, _ = headers(front, "项目")
    assert front.cell(header_row + 2, 2).value == 1  # one adjustment
    assert row_values(front, header_row + 2, 3, 10) == [
        D("-50000.00"), D("-26520.00"), D("-10665.60"), D("0.00"), D("-2000.00"), D("-8814.40"), D("-10.05"),
        D("-8824.45")]
    # 100,000 − 50,000; assistance 17,628.80 − 8,814.40; re-assistance −10.05: 8,814.40 − 10.05 = 8,804.35.
    assert row_values(front, header_row + 3, 3, 10) == [
        D("50000.00"), D("26520.00"), D("10665.60"), D("0.00"), D("-2000.00"), D("8814.40"), D("-10.05"),
        D("8804.35")]
    printed = await claims.contents(november, HIS, printout=True)
    assert [line.his_serial for line in printed.lines] == ["a2"]
    text = page_text(render_table_document(claim_printout(printed)))
    assert "冲减明细（关账后撤销的以前期间结算）" in text and "-8824.45" in text and "已关账，待审核" in text

    # A long list of adjustments is cut at PRINTED_LINES in the printout, which says so.
    many = replace(printed, lines=printed.lines * (PRINTED_LINES + 1))
    long_printout = render_table_document(claim_printout(many))
    text = page_text(long_printout)
    assert f"冲减明细（前 {PRINTED_LINES} 笔）" in text
    assert text.count("-8824.45") == PRINTED_LINES + 1  # each line printed, and the summary's 冲减 row
    assert len(pdfium.PdfDocument(long_printout)) <= 10


async def test_taierzhuangs_quarterly_claim_carries_its_checklist(database: Database) -> None:
    claims = ClaimService(database, flow(database))
    quarter = await period(database, "050001", "taierzhuang-2017", date(2025, 1, 1), date(2025, 3, 31))
    await settle(database, "b1", date(2025, 2, 14), hospital_code="050001")
    await claims.close(quarter, PAST_THE_GATE, OPS)
    contents = await claims.contents(quarter, OPS, printout=False)
    front = workbook(write_xlsx(claim_workbook(contents))).active
    row, names = headers(front, "材料")
    assert names == ["序号", "材料", "报送情况"]
    assert [front.cell(r, 2).value for r in (row + 1, row + 2)] == ["救助资金结算报表", "医疗救助对象身份证复印件"]
    assert front.cell(row + 7, 2).value == "农村商业银行存折（卡）复印件（镇（街）报送的区外就诊救助）"
    assert value(front, f"B{find(front, '申报拨付金额')[0]}") == D("8814.40")
    assert front.cell(find(front, "拨付期限")[0], 2).value == "未规定"  # Tai'erzhuang sets no deadline
    text = page_text(render_table_document(claim_printout(await claims.contents(quarter, OPS, printout=True))))
    assert "低保证（农村五保供养证" in text and "〔 〕已附" in text
