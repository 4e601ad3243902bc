"""A document as an .xlsx workbook (openpyxl). Amounts are numbers (exact: openpyxl writes a Decimal
as its decimal text) formatted to 2 places; every sum is an Excel formula over the cells written
(=SUM of a column, =B5+B6-B7 for a reckoning), whose value the layout already checked equals ours.
No cached values are stored: Excel and LibreOffice compute the formulas when the file opens."""

from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from services.settlement.documents.layout import Kind, Reckoning, Signatures, Table, TableDocument

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TOTAL_LABEL = "合计"
_FORMATS = {Kind.MONEY: "#,##0.00", Kind.COUNT: "0", Kind.DATE: "yyyy-mm-dd", Kind.TEXT: "@"}
_BOLD = Font(bold=True)
_RED = Font(bold=True, color="BE1414")
_HEADING_FILL = PatternFill("solid", fgColor="EBEFF5")
_THIN = Side(style="thin", color="AAAAAA")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WIDTH_UNIT = 14  # Excel column width (characters) of a column of relative width 1


def write_xlsx(document: TableDocument) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = _sheet_name(document.title)
    row = _front(sheet, document)
    for block in document.blocks:
        if isinstance(block, Table) and block.sheet is not None:
            _table(workbook.create_sheet(_sheet_name(block.sheet)), block, 1, own_sheet=True)
            continue
        if isinstance(block, Table):
            row = _table(sheet, block, row) + 1
        elif isinstance(block, Reckoning):
            row = _reckoning(sheet, block, row) + 1
        else:
            row = _signatures(sheet, block, row) + 1
    for line in document.footer:
        sheet.cell(row, 1, line)
        row += 1
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


def _sheet_name(name: str) -> str:
    """Excel's limits: 31 characters, none of []:*?/\\."""
    return "".join("_" if c in "[]:*?/\\" else c for c in name)[:31]


def _front(sheet: Worksheet, document: TableDocument) -> int:
    """Title, subtitle, warning and facts; the next free row."""
    sheet.cell(1, 1, document.title).font = Font(bold=True, size=14)
    sheet.cell(2, 1, document.subtitle)
    row = 3
    for line in document.warning:
        sheet.cell(row, 1, line).font = _RED
        row += 1
    for label, value in document.facts:
        sheet.cell(row, 1, label).font = _BOLD
        sheet.cell(row, 2, value)
        row += 1
    sheet.column_dimensions["A"].width = max(sheet.column_dimensions["A"].width or 0, 2 * _WIDTH_UNIT)
    return row + 1


def _table(sheet: Worksheet, table: Table, row: int, *, own_sheet: bool = False) -> int:
    """The table from `row`: title, headers, cells, totals row; the next free row."""
    sheet.cell(row, 1, table.title).font = _BOLD
    header_row = row + 1
    for index, column in enumerate(table.columns, start=1):
        cell = sheet.cell(header_row, index, column.header)
        cell.font, cell.fill, cell.border = _BOLD, _HEADING_FILL, _BOX
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(sheet.column_dimensions[letter].width or 0,
                                                   column.width * _WIDTH_UNIT)
    first = header_row + 1
    for offset, values in enumerate(table.rows):
        for index, (column, value) in enumerate(zip(table.columns, values, strict=True), start=1):
            cell = sheet.cell(first + offset, index, value)
            cell.number_format, cell.border = _FORMATS[column.kind], _BOX
    last = first + len(table.rows) - 1
    after = last + 1
    if table.totals is not None:
        sheet.cell(after, 1, TOTAL_LABEL).font = _BOLD
        for index, column in enumerate(table.columns, start=1):
            if column.summed:
                letter = get_column_letter(index)
                # An empty table sums nothing: 0, not a formula over a range that runs backwards.
                value = f"=SUM({letter}{first}:{letter}{last})" if table.rows else 0
                cell = sheet.cell(after, index, value)
                cell.number_format, cell.font, cell.border = _FORMATS[column.kind], _BOLD, _BOX
        after += 1
    if own_sheet:
        sheet.freeze_panes = sheet.cell(first, 1)
    return after


def _reckoning(sheet: Worksheet, reckoning: Reckoning, row: int) -> int:
    """Label | amount lines, then the result as a formula over them; the next free row."""
    sheet.cell(row, 1, reckoning.title).font = _BOLD
    refs = []
    for offset, term in enumerate(reckoning.terms, start=1):
        sheet.cell(row + offset, 1, term.label).border = _BOX
        cell = sheet.cell(row + offset, 2, term.amount)
        cell.number_format, cell.border = _FORMATS[Kind.MONEY], _BOX
        refs.append(("+" if term.sign > 0 else "-") + f"B{row + offset}")
    result_row = row + len(reckoning.terms) + 1
    formula = "=" + "".join(refs).lstrip("+") if refs else 0
    font = _RED if reckoning.emphasized else _BOLD
    sheet.cell(result_row, 1, reckoning.result_label).font = font
    cell = sheet.cell(result_row, 2, formula)
    cell.number_format, cell.font, cell.border = _FORMATS[Kind.MONEY], font, _BOX
    sheet.column_dimensions["B"].width = max(sheet.column_dimensions["B"].width or 0, _WIDTH_UNIT)
    return result_row + 1


def _signatures(sheet: Worksheet, signatures: Signatures, row: int) -> int:
    """Each party, then its blank lines (label | empty boxed cell); the next free row."""
    sheet.cell(row, 1, signatures.title).font = _BOLD
    row += 1
    for party in signatures.parties:
        sheet.cell(row, 1, party).font = _BOLD
        for offset, line in enumerate(signatures.lines, start=1):
            sheet.cell(row + offset, 1, line).border = _BOX
            sheet.cell(row + offset, 2).border = _BOX
        row += len(signatures.lines) + 1
    return row
