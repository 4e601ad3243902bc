"""Lists as agencies send them: CSV with Chinese headers in UTF-8 or GB18030 (what Excel on a
Chinese Windows writes), or JSON rows. Every row becomes a `ListRow`; a field that cannot be read
makes that row a rejection, never the whole list."""

import csv
import io
import re
from datetime import date
from typing import Any

from services.registry.imports.plan import ListRow
from services.registry.persons.schemas import MAX_NAME, check_name

HEADERS = {
    "身份证号": "id_number", "身份证号码": "id_number", "公民身份号码": "id_number", "id_number": "id_number",
    "姓名": "name", "name": "name",
    "区划代码": "region_code", "行政区划代码": "region_code", "region_code": "region_code",
    "认定文号": "document_number", "文号": "document_number", "document_number": "document_number",
    "认定日期": "approved_on", "approved_on": "approved_on",
}
_DATE = re.compile(r"^(\d{4})[-/.年]?(\d{1,2})[-/.月]?(\d{1,2})日?$")
MAX_FIELD = 64
_CONTROL = re.compile(r"[\x00-\x1f]")


class UnreadableList(ValueError):
    """The file as a whole cannot be read (no ID-number column, not text)."""


def decode(content: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableList("文件既不是 UTF-8 也不是 GB18030 编码 (neither UTF-8 nor GB18030)")


def parse_date(text: str) -> date:
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


def row_of(row_no: int, fields: dict[str, Any]) -> ListRow:
    values = {k: (str(v).strip() if v is not None else "") for k, v in fields.items()}
    problem = None
    approved_on = None
    if values.get("approved_on"):
        try:
            approved_on = parse_date(values["approved_on"])
        except ValueError as exc:
            problem = str(exc)
    if values.get("name"):
        try:
            check_name(values["name"])
        except ValueError as exc:
            problem = str(exc)
    too_long = [k for k, v in values.items() if len(v) > MAX_FIELD]
    if too_long:
        problem = f"字段过长 (too long)：{','.join(too_long)}"
    if any(_CONTROL.search(v) for v in values.values()):
        problem = "含控制字符 (control characters)"
    return ListRow(
        row_no=row_no, id_number=values.get("id_number", "")[:MAX_FIELD],
        name=values.get("name", "")[:MAX_NAME] or None,
        region_code=values.get("region_code") or None, document_number=values.get("document_number") or None,
        approved_on=approved_on, problem=problem,
    )


def rows_from_csv(content: bytes) -> list[ListRow]:
    reader = csv.reader(io.StringIO(decode(content), newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise UnreadableList("空文件 (empty file)")
        columns = [HEADERS.get(name.strip().lstrip("\ufeff")) for name in header]
        named = [c for c in columns if c]
        if "id_number" not in columns:
            raise UnreadableList("缺少“身份证号”列 (no 身份证号 column)")
        if len(named) != len(set(named)):
            raise UnreadableList("表头有重复的列 (a column appears twice in the header)")
        rows = []
        for line_no, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            rows.append(row_of(line_no, {col: cell for col, cell in zip(columns, cells, strict=False) if col}))
    except csv.Error as exc:
        raise UnreadableList(f"CSV 格式错误：{exc} (malformed CSV)") from exc
    return rows


def rows_from_json(items: list[dict[str, Any]]) -> list[ListRow]:
    return [row_of(index, item) for index, item in enumerate(items, start=1)]
