"""A catalog file as the insurance bureau publishes it (CSV in UTF-8 or GB18030, or .xlsx), one
entry a row, Chinese headers (README.md "The item catalog" gives the layout):

医保目录编码, 名称, 类型 (药品 / 诊疗项目 / 医用耗材), 目录类别 (甲类 / 乙类 / 丙类, or 甲 / 乙 / 丙),
自付比例 (乙类: "10%" or "0.1"; empty or 0 otherwise), 限价 (yuan per unit; empty: none),
开始日期, 结束日期 (the last day in force; empty: open).

A field that cannot be read makes its row a rejection, never the whole file."""

import re
from decimal import Decimal, InvalidOperation

from services.catalog.items.rules import CatalogRow, Entry
from shared.tabular import csv_records, parse_date, printable_cell, unprintable, xlsx_records

HEADERS = {
    "医保目录编码": "code", "医保编码": "code", "国家医保编码": "code", "编码": "code", "code": "code",
    "名称": "name", "项目名称": "name", "药品名称": "name", "name": "name",
    "类型": "kind", "目录类型": "kind", "kind": "kind",
    "目录类别": "category", "甲乙类": "category", "category": "category",
    "自付比例": "ratio", "先行自付比例": "ratio", "pre_self_pay_ratio": "ratio",
    "限价": "price_limit", "最高限价": "price_limit", "price_limit": "price_limit",
    "开始日期": "valid_from", "valid_from": "valid_from",
    "结束日期": "valid_to", "valid_to": "valid_to",
}
KINDS = {
    "药品": "drug", "西药": "drug", "中成药": "drug", "中药饮片": "drug", "drug": "drug",
    "诊疗项目": "treatment", "医疗服务项目": "treatment", "treatment": "treatment",
    "医用耗材": "consumable", "耗材": "consumable", "consumable": "consumable",
}
CATEGORIES = {"甲": "A", "甲类": "A", "A": "A", "乙": "B", "乙类": "B", "B": "B", "丙": "C", "丙类": "C", "C": "C"}
CODE = re.compile(r"^[A-Za-z0-9._-]{1,50}$")
MAX_NAME = 200


def _decimal(text: str, what: str, places: int) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{what}不是数 (not a number)：{text[:20]}") from None
    if not value.is_finite() or value < 0 or value >= Decimal("1E10") or value != round(value, places):
        raise ValueError(f"{what}超出范围或小数位过多 (out of range or too many decimals)：{text[:20]}")
    return value


def _ratio(text: str) -> Decimal:
    percent = text.endswith("%")
    value = _decimal(text.rstrip("%").strip(), "自付比例", 4 if not percent else 2)
    value = value / 100 if percent else value
    if value > 1:
        raise ValueError(f"自付比例须在0至1之间 (the ratio is between 0 and 1, or a percentage)：{text[:20]}")
    return value


def row_of(row_no: int, fields: dict[str, str]) -> CatalogRow:
    values = {k: v.strip() for k, v in fields.items()}
    code = values.get("code", "")
    try:
        if unprintable("".join(values.values())):
            raise ValueError("含控制字符或不可见字符 (control or invisible characters)")
        if not CODE.match(code):
            raise ValueError("医保目录编码须为1至50位字母、数字、点或横线 (the code is 1 to 50 letters, digits, . - _)")
        name = values.get("name", "")
        if not 1 <= len(name) <= MAX_NAME:
            raise ValueError(f"名称须为1至{MAX_NAME}个字符 (the name is 1 to {MAX_NAME} characters)")
        kind = KINDS.get(values.get("kind", ""))
        if kind is None:
            raise ValueError("类型须为药品、诊疗项目或医用耗材 (kind: 药品 / 诊疗项目 / 医用耗材)")
        category = CATEGORIES.get(values.get("category", ""))
        if category is None:
            raise ValueError("目录类别须为甲类、乙类或丙类 (category: 甲类 / 乙类 / 丙类)")
        ratio_text = values.get("ratio", "")
        if category == "B" and not ratio_text:
            raise ValueError("乙类须注明自付比例 (a 乙类 entry has a pre-self-pay ratio)")
        ratio = _ratio(ratio_text) if ratio_text else Decimal(0)
        if category != "B" and ratio:
            raise ValueError("只有乙类有自付比例 (only 乙类 has a pre-self-pay ratio)")
        limit_text = values.get("price_limit", "")
        price_limit = _decimal(limit_text, "限价", 6) if limit_text else None
        if not values.get("valid_from"):
            raise ValueError("缺少开始日期 (no 开始日期)")
        valid_from = parse_date(values["valid_from"])
        valid_to = parse_date(values["valid_to"]) if values.get("valid_to") else None
        if valid_to is not None and valid_to < valid_from:
            raise ValueError("结束日期早于开始日期 (结束日期 is before 开始日期)")
    except ValueError as exc:
        return CatalogRow(row_no, printable_cell(code)[:64], None, str(exc))
    return CatalogRow(row_no, code, Entry(code, name, kind, category, ratio, price_limit, valid_from, valid_to))


def rows_from_file(content: bytes, *, excel: bool) -> list[CatalogRow]:
    read = xlsx_records if excel else csv_records
    return [row_of(row_no, fields) for row_no, fields in read(content, HEADERS, "code", "医保目录编码")]
