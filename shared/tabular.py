"""Files that agencies and the insurance bureau send: CSV in UTF-8 or GB18030 (what Excel on a
Chinese Windows writes), dates as they write them. Used by every import (registry lists, the item
catalog)."""

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime

import openpyxl

MAX_UNPACKED_XLSX = 256 * 1024 * 1024
_DATE = re.compile(r"^(\d{4})[-/.年]?(\d{1,2})[-/.月]?(\d{1,2})日?$")


def printable_cell(text: str) -> str:
    """What a cell carried, without the control characters the database would refuse nor the
    invisible ones (bidi, zero-width) that would make it read as another."""
    return "".join("\ufffd" if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in text)


def unprintable(text: str) -> bool:
    return printable_cell(text) != text


class UnreadableFile(ValueError):
    """The file as a whole cannot be read (not text, no key column, a malformed CSV)."""


def decode(content: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableFile("文件既不是 UTF-8 也不是 GB18030 编码 (neither UTF-8 nor GB18030)")


def parse_date(text: str) -> date:
    """2023-03-20, 2023/3/20, 20230320 or 2023年3月20日."""
    match = _DATE.match(text.strip())
    if match is None:
        raise ValueError(f"日期格式不对 (not a date)：{text[:20]}")
    try:
        day = date(*(int(part) for part in match.groups()))
    except ValueError as exc:
        raise ValueError(f"日期不存在 (no such date)：{text[:20]}") from exc
    if not 1900 <= day.year <= 2099:
        raise ValueError(f"日期超出范围 (date out of range)：{text[:20]}")
    return day


def csv_records(
    content: bytes, headers: Mapping[str, str], required: str, required_label: str,
) -> list[tuple[int, dict[str, str]]]:
    """(line number, {field: cell}) for every row that is not blank; `headers` maps each accepted
    header to its field, `required` is the field without which the file means nothing."""
    try:
        return records(csv.reader(io.StringIO(decode(content), newline="")), headers, required, required_label)
    except csv.Error as exc:
        raise UnreadableFile(f"CSV 格式错误：{exc} (malformed CSV)") from exc


def xlsx_records(
    content: bytes, headers: Mapping[str, str], required: str, required_label: str,
) -> list[tuple[int, dict[str, str]]]:
    """The same from the first sheet of an Excel workbook (.xlsx); dates and numbers as text."""
    try:
        # A workbook is a zip: one that unpacks far beyond its size (a zip bomb) is not opened.
        unpacked = sum(info.file_size for info in zipfile.ZipFile(io.BytesIO(content)).infolist())
        workbook = None if unpacked > MAX_UNPACKED_XLSX else openpyxl.load_workbook(
            io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise UnreadableFile("不是有效的 Excel (.xlsx) 文件 (not an .xlsx workbook)") from exc
    if workbook is None:
        raise UnreadableFile("工作簿解压后超过 256 MiB (the workbook unpacks to more than 256 MiB)")
    try:
        sheet = workbook.worksheets[0]
        return records(([_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)),
                       headers, required, required_label)
    finally:
        workbook.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def records(
    rows: Iterable[Sequence[str]], headers: Mapping[str, str], required: str, required_label: str,
) -> list[tuple[int, dict[str, str]]]:
    rows = iter(rows)
    header = next(rows, None)
    if header is None:
        raise UnreadableFile("空文件 (empty file)")
    columns = [headers.get(name.strip().lstrip("\ufeff")) for name in header]
    named = [c for c in columns if c]
    if required not in columns:
        raise UnreadableFile(f"缺少“{required_label}”列 (no {required_label} column)")
    if len(named) != len(set(named)):
        raise UnreadableFile("表头有重复的列 (a column appears twice in the header)")
    return [
        (line_no, {col: cell for col, cell in zip(columns, cells, strict=False) if col})
        for line_no, cells in enumerate(rows, start=2) if any(cell.strip() for cell in cells)
    ]
