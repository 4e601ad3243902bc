"""Lists as agencies send them: CSV with Chinese headers in UTF-8 or GB18030 (what Excel on a
Chinese Windows writes), or JSON rows. Every row becomes a `ListRow`; a field that cannot be read
makes that row a rejection, never the whole list."""

import re
from typing import Any

from services.registry.imports.plan import ListRow
from services.registry.persons.schemas import MAX_NAME, check_name
from shared.tabular import csv_records, parse_date

HEADERS = {
    "身份证号": "id_number", "身份证号码": "id_number", "公民身份号码": "id_number", "id_number": "id_number",
    "姓名": "name", "name": "name",
    "区划代码": "region_code", "行政区划代码": "region_code", "region_code": "region_code",
    "认定文号": "document_number", "文号": "document_number", "document_number": "document_number",
    "认定日期": "approved_on", "approved_on": "approved_on",
}
MAX_FIELD = 64
_CONTROL = re.compile(r"[\x00-\x1f]")


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
    return [row_of(line_no, fields) for line_no, fields in csv_records(content, HEADERS, "id_number", "身份证号")]


def rows_from_json(items: list[dict[str, Any]]) -> list[ListRow]:
    return [row_of(index, item) for index, item in enumerate(items, start=1)]
