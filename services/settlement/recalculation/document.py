"""A batch's results as civil affairs downloads them (Excel through documents/, and CSV): one line
per historic settlement, in the file's order; the sums are the rows' own."""

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import Row

from services.settlement.documents.layout import Column, Kind, Table, TableDocument
from shared.auth import Principal
from shared.clock import SHANGHAI

TITLE = "医疗救助补算结果（上线前或政策调整）"
COLUMNS = (
    Column("行号", Kind.COUNT), Column("身份证号", width=1.8), Column("医疗机构编码"), Column("入院日期", Kind.DATE),
    Column("出院日期", Kind.DATE), Column("医疗类别"), Column("医疗费用总额", Kind.MONEY, summed=True),
    Column("基本医保统筹已付", Kind.MONEY, summed=True), Column("大病保险已付", Kind.MONEY, summed=True),
    Column("应付医疗救助", Kind.MONEY, summed=True), Column("应付再救助", Kind.MONEY, summed=True),
    Column("个人自付", Kind.MONEY, summed=True), Column("适用政策"), Column("适用身份"), Column("说明", width=3.0),
)
_MEDICAL_TYPES = {"inpatient": "住院", "outpatient_chronic": "门诊慢特病", "outpatient": "普通门诊"}


def _cells(item: Row, principal: Principal) -> tuple[object, ...]:
    bill = item.bill
    return (
        item.line, principal.visible_id_number(item.id_number), item.hospital_code, item.admitted_on,
        item.discharged_on, _MEDICAL_TYPES[item.medical_type], Decimal(bill["total"]),
        Decimal(bill["basic_insurance_paid"]), Decimal(bill["critical_illness_paid"]), item.assistance,
        item.re_assistance, item.personal_share, item.policy_id, item.identity_applied,
        item.reason if item.problem_code is None else f"未计算 {item.problem_code}：{item.reason}",
    )


def results_document(batch: Row, items: Sequence[Row], principal: Principal) -> TableDocument:
    rows = tuple(_cells(item, principal) for item in items)
    table = Table("逐笔补算结果", COLUMNS, rows, totals=tuple(
        sum((row[i] or Decimal(0) for row in rows), Decimal(0))  # type: ignore[misc]
        for i, column in enumerate(COLUMNS) if column.summed), sheet="明细")
    decided = "待审核" if batch.decided_at is None else (
        f"{'已批准' if batch.status == 'approved' else '已驳回'}（{batch.decided_by}，"
        f"{batch.decided_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M}）：{batch.decision_reason}")
    return TableDocument(
        title=TITLE,
        subtitle="基本医保结算后应享受的医疗救助，由市社保中心统一计算后交民政部门支付（烟台2018通知 二、4）",
        facts=(("批次", batch.id), ("说明", batch.note or "—"), ("行数", str(len(items))),
               ("上传时被拒行数", str(len(batch.rejected_rows))), ("审核", decided)),
        blocks=(table,), landscape=True,
        footer=("本表为待支付名单，不改动一站式结算台账。",),
    )


CSV_HEADER = [c.header for c in COLUMNS] + ["问题代码"]


def results_rows(items: Sequence[Row], principal: Principal) -> list[list[object]]:
    return [[*_cells(item, principal), item.problem_code] for item in items]
