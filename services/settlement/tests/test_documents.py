"""The shared document writers: the same document as an .xlsx read back with openpyxl (headers,
amounts exact to the fen, every sum a formula giving our figure) and as a PDF rendered by PDFium."""

from datetime import date
from decimal import Decimal

import pypdfium2 as pdfium
import pytest

from services.settlement.documents.excel import write_xlsx
from services.settlement.documents.layout import (
    Column,
    FiguresDisagree,
    Kind,
    Reckoning,
    Table,
    TableDocument,
    Term,
)
from services.settlement.documents.pdf import render_table_document
from tests.support.pdf import assert_rendered, page_text
from tests.support.xlsx import computed, find, recomputed, value, workbook

COLUMNS = (Column("结算编号", width=2), Column("出院日期", Kind.DATE), Column("结算笔数", Kind.COUNT, summed=True),
           Column("医疗救助", Kind.MONEY, summed=True), Column("再救助", Kind.MONEY, summed=True))
ROWS = ((("S1", date(2023, 3, 2), 1, Decimal("8814.40"), Decimal("0.00")),
         ("S2", date(2023, 3, 9), 1, Decimal("14000.00"), Decimal("492.52")),
         ("S3", date(2023, 3, 30), 1, Decimal("0.05"), Decimal("0.01"))))


def document(rows: tuple = ROWS, totals: tuple = (3, Decimal("22814.45"), Decimal("492.53")), *,  # type: ignore[type-arg]
             sheet: str | None = None) -> TableDocument:
    return TableDocument(
        title="医疗救助资金清算表", subtitle="测试", facts=(("区划", "370602 芝罘区"), ("月份", "2023年03月")),
        blocks=(
            Reckoning("本月资金收支", (Term("期初余额", Decimal("1000.00")), Term("本月预拨", Decimal("50000.00")),
                                      Term("本月支出", Decimal("23306.98"), -1), Term("本月调整", Decimal("0.10"))),
                      "期末余额", Decimal("27693.12")),
            Table("结算明细", COLUMNS, rows, totals, sheet=sheet),
        ),
        footer=("金额单位：元。",), warning=("余额不足 10 日支出",),
    )


def test_the_workbook_reads_back_with_chinese_headers_exact_amounts_and_formula_sums() -> None:
    sheet = workbook(write_xlsx(document())).active
    header_row, first_col = find(sheet, "结算编号")
    assert [sheet.cell(header_row, first_col + i).value for i in range(5)] == [
        "结算编号", "出院日期", "结算笔数", "医疗救助", "再救助"]
    assert sheet.cell(header_row + 2, 4).value == 14000 and sheet.cell(header_row + 2, 4).number_format == "#,##0.00"
    totals_row = header_row + 4
    assert sheet.cell(totals_row, 1).value == "合计"
    assert sheet.cell(totals_row, 4).value == f"=SUM(D{header_row + 1}:D{header_row + 3})"
    assert computed(sheet, sheet.cell(totals_row, 3).value) == 3
    assert computed(sheet, sheet.cell(totals_row, 4).value) == Decimal("22814.45")
    assert computed(sheet, sheet.cell(totals_row, 5).value) == Decimal("492.53")
    closing_row, _ = find(sheet, "期末余额")
    first = closing_row - 4
    assert sheet.cell(closing_row, 2).value == f"=B{first}+B{first + 1}-B{first + 2}+B{first + 3}"
    assert value(sheet, f"B{closing_row}") == Decimal("27693.12")
    assert find(sheet, "余额不足 10 日支出") and find(sheet, "370602 芝罘区")


def test_libreoffice_computes_the_same_sums() -> None:
    data = write_xlsx(document())
    office = recomputed(data)
    if office is None:
        pytest.skip("LibreOffice is not installed: the formulas are checked by tests.support.xlsx.computed only")
    sheet = office.active
    closing_row, _ = find(sheet, "期末余额")
    assert Decimal(str(sheet.cell(closing_row, 2).value)).quantize(Decimal("0.01")) == Decimal("27693.12")


def test_a_long_list_goes_on_its_own_sheet_and_an_empty_one_totals_zero() -> None:
    book = workbook(write_xlsx(document((), (0, Decimal("0.00"), Decimal("0.00")), sheet="结算明细")))
    assert book.sheetnames == ["医疗救助资金清算表", "结算明细"]
    detail = book["结算明细"]
    assert [detail.cell(2, i).value for i in (1, 4)] == ["结算编号", "医疗救助"]
    assert [detail.cell(3, i).value for i in (1, 3, 4)] == ["合计", 0, 0]


def test_a_total_that_is_not_the_sum_of_its_rows_is_refused() -> None:
    with pytest.raises(FiguresDisagree):
        document(totals=(3, Decimal("22814.44"), Decimal("492.53")))
    with pytest.raises(FiguresDisagree):
        Reckoning("x", (Term("期初余额", Decimal("1.00")), Term("支出", Decimal("2.00"), -1)),
                  "期末余额", Decimal("1.00"))


def test_an_amount_that_is_not_to_the_fen_is_refused() -> None:
    with pytest.raises(ValueError, match="not yuan to the fen"):
        Table("t", COLUMNS, (("S1", date(2023, 3, 2), 1, Decimal("1.005"), Decimal("0.00")),))


def test_the_pdf_prints_the_same_figures_as_glyphs() -> None:
    pdf = render_table_document(document())
    assert len(pdfium.PdfDocument(pdf)) == 1
    for text in ("医疗救助资金清算表", "余额不足 10 日支出", "370602 芝罘区", "期末余额", "27693.12", "结算明细",
                 "14000.00", "22814.45", "合计", "2023-03-30"):
        assert_rendered(pdf, text)


def test_a_long_table_runs_over_pages_with_its_headings_repeated() -> None:
    rows = tuple((f"S{n}", date(2023, 3, 1), 1, Decimal("1.00"), Decimal("0.00")) for n in range(80))
    pdf = render_table_document(document(rows, (80, Decimal("80.00"), Decimal("0.00"))))
    pages = len(pdfium.PdfDocument(pdf))
    assert pages >= 2
    assert page_text(pdf).count("结算编号") == pages
