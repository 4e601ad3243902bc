"""Reading a downloaded workbook back as a person's Excel would: the cells' values, and each formula
computed from the cells it names (no spreadsheet application needed; the writers use only =SUM of a
range and + / − of cells). With LibreOffice on the machine, `recomputed` asks it too."""

import re
import shutil
import subprocess
import tempfile
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string
from openpyxl.worksheet.worksheet import Worksheet

_SUM = re.compile(r"^=SUM\(([A-Z]+)(\d+):([A-Z]+)(\d+)\)$")
_TERMS = re.compile(r"([+-]?)([A-Z]+)(\d+)")


def workbook(data: bytes) -> Any:
    return load_workbook(BytesIO(data))  # formulas as written, not cached values


def value(sheet: Worksheet, ref: str) -> Decimal:
    """A numeric cell's value, or its formula computed from the cells it names, as Decimal to the fen
    (openpyxl reads numbers back as floats)."""
    raw = sheet[ref].value
    if isinstance(raw, str) and raw.startswith("="):
        return computed(sheet, raw)
    assert isinstance(raw, int | float), f"{ref}: {raw!r} is not a number"
    return Decimal(str(raw)).quantize(Decimal("0.01"))


def computed(sheet: Worksheet, formula: str) -> Decimal:
    found = _SUM.match(formula)
    if found:
        first_col, first_row, last_col, last_row = found.groups()
        assert first_col == last_col, formula
        column = column_index_from_string(first_col)
        return sum((value(sheet, sheet.cell(row, column).coordinate)
                    for row in range(int(first_row), int(last_row) + 1)), Decimal(0))
    body = formula[1:]
    terms = _TERMS.findall(body)
    assert "".join(f"{sign}{col}{row}" for sign, col, row in terms) == body, f"unexpected formula {formula}"
    return sum(((-1 if sign == "-" else 1) * value(sheet, f"{col}{row}") for sign, col, row in terms), Decimal(0))


def find(sheet: Worksheet, text: str) -> tuple[int, int]:
    """(row, column) of the first cell holding exactly `text`."""
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value == text:
                return cell.row, cell.column
    raise AssertionError(f"{text!r} is not in sheet {sheet.title}")


def recomputed(data: bytes) -> Any | None:
    """The workbook as LibreOffice saves it after computing every formula (values cached), or None
    when LibreOffice is not installed."""
    office = shutil.which("libreoffice") or shutil.which("soffice")
    if office is None:
        return None
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "in" / "document.xlsx"
        source.parent.mkdir()
        source.write_bytes(data)
        subprocess.run([office, "--headless", "--convert-to", "xlsx", "--outdir", folder, str(source)],
                       check=True, capture_output=True, timeout=120)
        return load_workbook(Path(folder) / "document.xlsx", data_only=True)
