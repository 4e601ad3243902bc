"""A document as an .xlsx workbook (XlsxWriter: a claim of 100,000 lines in seconds, where openpyxl's
per-cell styles took minutes). Amounts are numbers (exact: a Decimal is written as its decimal text)
formatted to 2 places; every sum is an Excel formula over the cells written (=SUM of a column,
=B5+B6-B7 for a reckoning), whose value the layout already checked equals ours, and which is stored
as the formula's cached value: a viewer that does not compute formulas shows our figure, and Excel and
LibreOffice compute the same one when the file opens.

Each cell is written by its kind (a text is always text: a serial or a reason starting with "=" or
"http" is never taken for a formula or a link). Rows go out in order, one sheet's at a time
(constant_memory), so a long list is never held in memory twice."""

from datetime import date
from decimal import Decimal
from io import BytesIO
from typing import Any

from xlsxwriter import Workbook
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

from services.settlement.documents.layout import Cell, Kind, Reckoning, Signatures, Table, TableDocument

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TOTAL_LABEL = "合计"
_FORMATS = {Kind.MONEY: "#,##0.00", Kind.COUNT: "0", Kind.DATE: "yyyy-mm-dd", Kind.TEXT: "@"}
_BOLD = {"bold": True}
_RED = {"bold": True, "font_color": "#BE1414"}
_BOX = {"border": 1, "border_color": "#AAAAAA"}  # thin, grey
_HEADING = {**_BOLD, **_BOX, "pattern": 1, "bg_color": "#EBEFF5", "align": "center", "text_wrap": True}
_WIDTH_UNIT = 14  # Excel column width (characters) of a column of relative width 1


class _Styles:
    """The workbook's formats, each created once and shared by every cell that uses it."""

    def __init__(self, workbook: Workbook) -> None:
        self._workbook = workbook
        self._made: dict[tuple[tuple[str, Any], ...], Format] = {}

    def __call__(self, *parts: dict[str, Any]) -> Format:
        properties = {key: value for part in parts for key, value in part.items()}
        key = tuple(sorted(properties.items()))
        if key not in self._made:
            self._made[key] = self._workbook.add_format(properties)
        return self._made[key]

    def kind(self, kind: Kind, *parts: dict[str, Any]) -> Format:
        return self(*parts, {"num_format": _FORMATS[kind]}, _BOX)


class _Sheet:
    """A worksheet written row by row (0-based for XlsxWriter; `row` here is Excel's, from 1), its
    column widths the widest any block asks for."""

    def __init__(self, workbook: Workbook, name: str, styles: _Styles) -> None:
        self.sheet: Worksheet = workbook.add_worksheet(_sheet_name(name))
        self.styles = styles
        self._widths: dict[int, float] = {}

    def put(self, row: int, column: int, value: Cell, style: Format | None = None) -> None:
        r, c = row - 1, column - 1
        if value is None:
            self.sheet.write_blank(r, c, None, style)
        elif isinstance(value, str):
            self.sheet.write_string(r, c, value, style)
        elif isinstance(value, date):
            self.sheet.write_datetime(r, c, value, style)
        else:
            self.sheet.write_number(r, c, value, style)

    def formula(self, row: int, column: int, formula: str, result: Decimal | int, style: Format) -> None:
        self.sheet.write_formula(row - 1, column - 1, formula, style, result)

    def widen(self, column: int, width: float) -> None:
        self._widths[column] = max(self._widths.get(column, 0), width)

    def close(self) -> None:
        for column, width in self._widths.items():
            self.sheet.set_column(column - 1, column - 1, width)


def write_xlsx(document: TableDocument) -> bytes:
    out = BytesIO()
    workbook = Workbook(out, {"constant_memory": True})
    styles = _Styles(workbook)
    sheet = _Sheet(workbook, document.title, styles)
    sheets = [sheet]
    row = _front(sheet, document)
    for block in document.blocks:
        if isinstance(block, Table) and block.sheet is not None:
            sheets.append(_Sheet(workbook, block.sheet, styles))
            _table(sheets[-1], block, 1, own_sheet=True)
            continue
        if isinstance(block, Table):
            row = _table(sheet, block, row) + 1
        elif isinstance(block, Reckoning):
            row = _reckoning(sheet, block, row) + 1
        else:
            row = _signatures(sheet, block, row) + 1
    for line in document.footer:
        sheet.put(row, 1, line)
        row += 1
    for each in sheets:
        each.close()
    workbook.close()
    return out.getvalue()


def _sheet_name(name: str) -> str:
    """Excel's limits: 31 characters, none of []:*?/\\."""
    return "".join("_" if c in "[]:*?/\\" else c for c in name)[:31]


def _front(sheet: _Sheet, document: TableDocument) -> int:
    """Title, subtitle, warning and facts; the next free row."""
    styles = sheet.styles
    sheet.put(1, 1, document.title, styles(_BOLD, {"font_size": 14}))
    sheet.put(2, 1, document.subtitle)
    row = 3
    for line in document.warning:
        sheet.put(row, 1, line, styles(_RED))
        row += 1
    for label, value in document.facts:
        sheet.put(row, 1, label, styles(_BOLD))
        sheet.put(row, 2, value)
        row += 1
    sheet.widen(1, 2 * _WIDTH_UNIT)
    return row + 1


def _table(sheet: _Sheet, table: Table, row: int, *, own_sheet: bool = False) -> int:
    """The table from `row`: title, headers, cells, totals row; the next free row."""
    styles = sheet.styles
    sheet.put(row, 1, table.title, styles(_BOLD))
    header_row = row + 1
    for index, column in enumerate(table.columns, start=1):
        sheet.put(header_row, index, column.header, styles(_HEADING))
        sheet.widen(index, column.width * _WIDTH_UNIT)
    first = header_row + 1
    if own_sheet:
        sheet.sheet.freeze_panes(first - 1, 0)
    cell_styles = [(index, styles.kind(column.kind)) for index, column in enumerate(table.columns, start=1)]
    for offset, values in enumerate(table.rows):
        for (index, style), value in zip(cell_styles, values, strict=True):
            sheet.put(first + offset, index, value, style)
    last = first + len(table.rows) - 1
    after = last + 1
    if table.totals is not None:
        sheet.put(after, 1, TOTAL_LABEL, styles(_BOLD))
        summed = (index for index, column in enumerate(table.columns, start=1) if column.summed)
        for index, total in zip(summed, table.totals, strict=True):
            style = styles.kind(table.columns[index - 1].kind, _BOLD)
            if table.rows:
                letter = xl_col_to_name(index - 1)
                sheet.formula(after, index, f"=SUM({letter}{first}:{letter}{last})", total, style)
            else:  # an empty table sums nothing: 0, not a formula over a range that runs backwards
                sheet.put(after, index, 0, style)
        after += 1
    return after


def _reckoning(sheet: _Sheet, reckoning: Reckoning, row: int) -> int:
    """Label | amount lines, then the result as a formula over them; the next free row."""
    styles = sheet.styles
    sheet.put(row, 1, reckoning.title, styles(_BOLD))
    refs = []
    for offset, term in enumerate(reckoning.terms, start=1):
        sheet.put(row + offset, 1, term.label, styles(_BOX))
        sheet.put(row + offset, 2, term.amount, styles.kind(Kind.MONEY))
        refs.append(("+" if term.sign > 0 else "-") + f"B{row + offset}")
    result_row = row + len(reckoning.terms) + 1
    font = _RED if reckoning.emphasized else _BOLD
    sheet.put(result_row, 1, reckoning.result_label, styles(font))
    style = styles.kind(Kind.MONEY, font)
    if refs:
        sheet.formula(result_row, 2, "=" + "".join(refs).lstrip("+"), reckoning.result, style)
    else:
        sheet.put(result_row, 2, 0, style)
    sheet.widen(2, _WIDTH_UNIT)
    return result_row + 1


def _signatures(sheet: _Sheet, signatures: Signatures, row: int) -> int:
    """Each party, then its blank lines (label | empty boxed cell); the next free row."""
    styles = sheet.styles
    sheet.put(row, 1, signatures.title, styles(_BOLD))
    row += 1
    for party in signatures.parties:
        sheet.put(row, 1, party, styles(_BOLD))
        for offset, line in enumerate(signatures.lines, start=1):
            sheet.put(row + offset, 1, line, styles(_BOX))
            sheet.put(row + offset, 2, None, styles(_BOX))
        row += len(signatures.lines) + 1
    return row
