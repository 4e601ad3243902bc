"""A batch's results as civil affairs downloads them (Excel through documents/, and CSV): one line
per historic settlement, in the file's order, or for a range batch one line per settlement replayed,
by person and discharge order; the sums are the rows' own."""

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import Row

from services.settlement.corrections.rules import FUNDS
from services.settlement.documents.layout import Cell, Column, Kind, Table, TableDocument
from services.settlement.recalculation.rules import RANGE
from services.settlement.settlements.funds import FUND_LABELS
from shared.auth import Principal
from shared.categories import MEDICAL_TYPE_LABELS_ZH
from shared.clock import SHANGHAI

TITLE = "医疗救助补算结果（上线前或政策调整）"
COLUMNS = (
    Column("行号", Kind.COUNT), Column("身份证号", width=1.8), Column("医疗机构编码"), Column("入院日期", Kind.DATE),
    Column("出院日期", Kind.DATE), Column("医疗类别"), Column("医疗费用总额", Kind.MONEY, summed=True),
    Column("基本医保统筹已付", Kind.MONEY, summed=True), Column("大病保险已付", Kind.MONEY, summed=True),
    Column("应付医疗救助", Kind.MONEY, summed=True), Column("应付再救助", Kind.MONEY, summed=True),
    Column("个人自付", Kind.MONEY, summed=True), Column("适用政策"), Column("适用身份"), Column("说明", width=3.0),
)


def _cells(item: Row, principal: Principal) -> tuple[object, ...]:
    bill = item.bill
    return (
        item.line, principal.visible_id_number(item.id_number), item.hospital_code, item.admitted_on,
        item.discharged_on, MEDICAL_TYPE_LABELS_ZH[item.medical_type], Decimal(bill["total"]),
        Decimal(bill["basic_insurance_paid"]), Decimal(bill["critical_illness_paid"]), item.assistance,
        item.re_assistance, item.personal_share, item.policy_id, item.identity_applied,
        item.reason if item.problem_code is None else f"未计算 {item.problem_code}：{item.reason}",
    )


def _totals(columns: tuple[Column, ...], rows: tuple[tuple[Cell, ...], ...]) -> tuple[Decimal, ...]:
    return tuple(sum((row[i] or Decimal(0) for row in rows), Decimal(0))  # type: ignore[misc]
                 for i, column in enumerate(columns) if column.summed)


def _decided(batch: Row) -> str:
    return "待审核" if batch.decided_at is None else (
        f"{'已批准' if batch.status == 'approved' else '已驳回'}（{batch.decided_by}，"
        f"{batch.decided_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M}）：{batch.decision_reason}")


def results_document(batch: Row, items: Sequence[Row], principal: Principal) -> TableDocument:
    rows = tuple(_cells(item, principal) for item in items)
    table = Table("逐笔补算结果", COLUMNS, rows, totals=_totals(COLUMNS, rows), sheet="明细")
    decided = _decided(batch)
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


_SHOWN = ("assistance", "re_assistance", "personal_share")  # before and after; every fund's difference
_LABELS = {**{name: label for name, (label, _) in FUND_LABELS.items()}, "personal_share": "个人自付"}
RANGE_COLUMNS = (
    Column("身份证号", width=1.8), Column("结算编号", width=2.4), Column("医疗机构编码"), Column("出院日期", Kind.DATE),
    Column("范围内"), Column("原适用身份"), Column("重算适用身份"),
    *(Column(f"{when}{_LABELS[name]}", Kind.MONEY, summed=True) for name in _SHOWN for when in ("原", "重算")),
    *(Column(f"{_LABELS[name]}差额", Kind.MONEY, summed=True) for name in FUNDS),
)
RANGE_TITLE = "医疗救助按出院日期范围重算结果（政策调整）"
REFUSED_COLUMNS = (Column("身份证号", width=1.8), Column("范围内结算笔数", Kind.COUNT), Column("问题代码"),
                   Column("原因", width=3.0))


def _replayed_cells(item: Row, principal: Principal) -> tuple[Cell, ...]:
    return (
        principal.visible_id_number(item.id_number), item.settlement_id, item.hospital_code, item.discharged_on,
        "是" if item.in_range else "否（同年其后，余额随之变动）", item.identity_before, item.identity_after,
        *(getattr(item, f"{name}_{when}") for name in _SHOWN for when in ("before", "after")),
        *(getattr(item, f"{name}_after") - getattr(item, f"{name}_before") for name in FUNDS),
    )


def range_document(batch: Row, items: Sequence[Row], refused: Sequence[Row], principal: Principal) -> TableDocument:
    """Each settlement replayed: what it paid, what the policies now make it pay, each fund's
    difference (replayed − paid, to the fen); and the persons that could not be replayed."""
    rows = tuple(_replayed_cells(item, principal) for item in items)
    blocks = [Table("逐笔重算结果（重算 − 原付）", RANGE_COLUMNS, rows, totals=_totals(RANGE_COLUMNS, rows),
                    sheet="明细")]
    if refused:
        blocks.append(Table("未能重算的人员", REFUSED_COLUMNS, tuple(
            (principal.visible_id_number(p.id_number), p.settlements, p.problem_code, p.reason) for p in refused),
            sheet="未重算"))
    filters = "，".join(f for f in (batch.region_code and f"政策区划 {batch.region_code}",
                                    batch.hospital_code and f"医疗机构 {batch.hospital_code}") if f) or "不限"
    return TableDocument(
        title=RANGE_TITLE,
        subtitle="平台内已结算的结算单按现行政策与身份逐人逐年按出院顺序重算，与原付比较（各项差额到分）",
        facts=(("批次", batch.id), ("说明", batch.note or "—"),
               ("出院日期", f"{batch.from_date:%Y-%m-%d} 至 {batch.to_date:%Y-%m-%d}"), ("条件", filters),
               ("重算结算笔数", str(len(items))), ("未能重算人数", str(len(refused))), ("审核", _decided(batch))),
        blocks=tuple(blocks), landscape=True,
        footer=("本表不改动结算与台账；批准后，有差额的人年转为更正建议，由民政部门逐一审核（见更正建议）。",),
    )

RANGE_CSV_HEADER = [c.header for c in RANGE_COLUMNS]


def document_of(batch: Row, items: Sequence[Row], refused: Sequence[Row], principal: Principal) -> TableDocument:
    if batch.source == RANGE:
        return range_document(batch, items, refused, principal)
    return results_document(batch, items, principal)


def csv_of(batch: Row, items: Sequence[Row], principal: Principal) -> tuple[list[str], list[list[object]]]:
    """The header and lines of the batch's CSV download."""
    if batch.source == RANGE:
        return RANGE_CSV_HEADER, [list(_replayed_cells(item, principal)) for item in items]
    return CSV_HEADER, results_rows(items, principal)
