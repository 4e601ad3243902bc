"""The frozen period claim (申报表) as the documents people download: Excel with every line on a sheet
of its own, and the printable PDF to be signed and sealed. Every figure is the claim's own (frozen at
the close); the writers (documents/) only lay it out and write its sums as formulas, and refuse a
document whose lines do not add up to the frozen figures.

The PDF does not list the settlements one by one: a claim of 100,000 lines would print some 2,000
pages nobody signs. It prints the summary, the adjustments (up to `PRINTED_LINES`) and the rejected
lines, and says the full list is in the Excel download."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from services.settlement.claims.repository import ADJUSTMENT, SETTLEMENT
from services.settlement.claims.rules import Status
from services.settlement.claims.schemas import ClaimLine, ClaimPeriod
from services.settlement.documents.layout import (
    Block,
    Column,
    Kind,
    Reckoning,
    Signatures,
    Table,
    TableDocument,
    Term,
    money,
)
from services.settlement.settlements.funds import ASSISTANCE_FUNDS, FUND_LABELS
from shared.clock import SHANGHAI
from shared.money import ZERO

TITLE = "定点医疗机构医疗救助费用申报表"
PRINTED_LINES = 200
"""Adjustment lines the PDF lists at most (rejected lines are at most 1,000 by the review's limit)."""
STATUS_LABELS = {Status.OPEN: "未关账", Status.CLOSED: "已关账，待审核", Status.REVIEWED: "已审核，待审批",
                 Status.APPROVED: "已审批，待拨付", Status.PAID: "已拨付"}
PAYEE_LABELS = {"hospital": "定点医疗机构", "passbook": "救助人员存折"}
# 台民字〔2017〕26号 五（三）: the hospital confirms and reports, civil affairs checks and seals, the
# payer (finance there; the agency that settles in Yantai) pays. Generic labels fit both regions.
SIGNATURES = Signatures("签字盖章", ("定点医疗机构（盖章）", "民政部门审核（盖章）", "拨付单位（盖章）"),
                        ("经办人", "负责人", "日期"))
_KIND_LABELS = {SETTLEMENT: "结算", ADJUSTMENT: "冲减"}


@dataclass(frozen=True, slots=True)
class RejectedAmount:
    settlement_id: str
    his_serial: str
    payable: Decimal  # what the line claimed back: not paid
    reason: str


@dataclass(frozen=True, slots=True)
class ClaimContents:
    """What a downloaded claim shows: the claim, its settlements' and adjustments' sums apart
    (claims.repository.sums_by_kind), its rejected lines, and its lines: every one for Excel, the
    adjustments up to PRINTED_LINES + 1 for the PDF."""

    claim: ClaimPeriod
    kinds: dict[str, dict[str, Any]]
    rejected: list[RejectedAmount]
    lines: list[ClaimLine]
    generated_at: datetime


def _payable(line: ClaimLine) -> Decimal:
    return sum((line.funds[name] for name in ASSISTANCE_FUNDS), ZERO)


def _amount_columns() -> tuple[Column, ...]:
    return (Column("医疗费用总额", Kind.MONEY, summed=True),
            *(Column(label, Kind.MONEY, summed=True) for label, _ in FUND_LABELS.values()),
            Column("申报拨付（救助合计）", Kind.MONEY, summed=True))


def _day(moment: datetime | None) -> Any:
    return None if moment is None else moment.astimezone(SHANGHAI).date()


def _line_cells(line: ClaimLine) -> tuple[Any, ...]:
    return (line.his_serial, line.settlement_id, _day(line.settled_at), _day(line.cancelled_at), line.total,
            *(line.funds[name] for name in FUND_LABELS), _payable(line))


def _figures(contents: ClaimContents, kind: str) -> tuple[Any, ...]:
    sums = contents.kinds.get(kind, {})
    return (sums.get("total", ZERO), *(sums.get(name, ZERO) for name in FUND_LABELS), sums.get("payable", ZERO))


def _claim_totals(claim: ClaimPeriod) -> tuple[Decimal, ...]:
    funds = {fund.fund: fund.amount for fund in claim.funds}
    return (claim.total or ZERO, *(funds[name] for name in FUND_LABELS), claim.payable or ZERO)


def _summary(contents: ClaimContents) -> Table:
    claim = contents.claim
    return Table("申报汇总（元；冲减为关账后撤销的以前期间结算，金额为负）", (
        Column("项目", width=1.4), Column("笔数", Kind.COUNT, width=0.6), *_amount_columns(),
    ), ((_KIND_LABELS[SETTLEMENT], claim.settlements_count, *_figures(contents, SETTLEMENT)),
        (_KIND_LABELS[ADJUSTMENT], claim.adjustments_count, *_figures(contents, ADJUSTMENT))),
        totals=_claim_totals(claim))


def _amounts(claim: ClaimPeriod) -> tuple[Reckoning, ...]:
    """Payable from the assistance funds, then what the review leaves of it."""
    funds = {fund.fund: fund.amount for fund in claim.funds}
    payable = claim.payable or ZERO
    terms = tuple(Term(FUND_LABELS[name][0], funds[name]) for name in ASSISTANCE_FUNDS)
    reckonings = [Reckoning("申报拨付（元）", terms, "申报拨付金额", payable)]
    if claim.rejected_amount is not None:
        label = "审批金额" if claim.approved_amount is not None else "审核后应拨付金额"
        reckonings.append(Reckoning("审核与审批（元）", (
            Term("申报拨付金额", payable), Term("减：审核拒付", claim.rejected_amount, -1),
        ), label, payable - claim.rejected_amount))
    return tuple(reckonings)


def _rejected(contents: ClaimContents) -> Table:
    return Table("审核拒付明细（退回医院）", (
        Column("流水号", width=1.2), Column("结算编号", width=2.2), Column("拒付金额", Kind.MONEY, summed=True),
        Column("拒付理由", width=2.4),
    ), tuple((r.his_serial, r.settlement_id, r.payable, r.reason) for r in contents.rejected),
        totals=(contents.claim.rejected_amount or ZERO,))


def _checklist(claim: ClaimPeriod) -> Table:
    return Table("报送材料清单（随申报表报送，逐项勾选）", (
        Column("序号", Kind.COUNT, width=0.5), Column("材料", width=5), Column("报送情况", width=1),
    ), tuple((n, item.label, "〔 〕已附") for n, item in enumerate(claim.documents, start=1)))


def _facts(contents: ClaimContents) -> tuple[tuple[str, str], ...]:
    claim = contents.claim
    facts = [("定点医疗机构编码", claim.hospital_code), ("申报期间", f"{claim.starts_on} 至 {claim.ends_on}"),
             ("状态", STATUS_LABELS[claim.status]),
             ("关账时间", f"{claim.closed_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M}" if claim.closed_at else "—"),
             ("拨付期限", f"{claim.due_on}{'（已逾期）' if claim.past_due else ''}" if claim.due_on else "未规定"),
             ("结算笔数 / 冲减笔数", f"{claim.settlements_count} / {claim.adjustments_count}"),
             ("医疗费用总额（元）", money(claim.total)), ("申报拨付金额（元）", money(claim.payable))]
    if claim.reviewed_at is not None:
        outcome = "部分拒付" if claim.review_outcome == "partly_rejected" else "通过"
        facts.append(("审核", f"{outcome}，拒付 {money(claim.rejected_amount)} 元（{claim.reviewed_by}，"
                             f"{claim.reviewed_at.astimezone(SHANGHAI):%Y-%m-%d}）"
                             + (f"：{claim.review_note}" if claim.review_note else "")))
    if claim.approved_amount is not None:
        facts.append(("审批金额（元）", money(claim.approved_amount)))
    if claim.paid_on is not None:
        facts.append(("拨付", f"{money(claim.paid_amount)} 元，{claim.paid_on}，凭证号 {claim.payment_reference}，"
                             f"收款方 {PAYEE_LABELS.get(claim.payee or '', claim.payee)}"))
    facts.append(("生成时间", f"{contents.generated_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M:%S}（北京时间）"))
    return tuple(facts)


def _document(contents: ClaimContents, blocks: tuple[Block, ...], extra_footer: tuple[str, ...]) -> TableDocument:
    claim = contents.claim
    front: list[Block] = [_summary(contents), *_amounts(claim)]
    if claim.rejected_amount is not None:
        front.append(_rejected(contents))
    if claim.documents:
        front.append(_checklist(claim))
    return TableDocument(
        title=TITLE, subtitle=f"{claim.hospital_code}　{claim.starts_on} 至 {claim.ends_on}（如国家接口 3203 申报）",
        facts=_facts(contents), blocks=(*front, *blocks),
        footer=("金额单位：元。申报拨付 = 医疗救助 + 再救助（各结算已冲减）；审批金额 = 申报拨付 − 审核拒付。",
                *extra_footer, f"依据：{claim.rule_source}"),
        landscape=True,
    )


def claim_workbook(contents: ClaimContents) -> TableDocument:
    """Every line on the sheet 申报明细, its 合计 the claim's own figures."""
    lines = Table("申报明细（结算与冲减）", (
        Column("类别", width=0.6), Column("流水号", width=1.2), Column("结算编号", width=2.2),
        Column("结算日期", Kind.DATE, width=0.9), Column("撤销日期", Kind.DATE, width=0.9), *_amount_columns(),
        Column("拒付理由", width=1.6),
    ), tuple((_KIND_LABELS[line.kind], *_line_cells(line), line.rejected_reason) for line in contents.lines),
        totals=_claim_totals(contents.claim), sheet="申报明细")
    return _document(contents, (SIGNATURES, lines), ())


def claim_printout(contents: ClaimContents) -> TableDocument:
    """The summary, the adjustments (the first PRINTED_LINES) and rejected lines, and the boxes to sign
    and seal; `contents.lines` holds the adjustments only."""
    claim = contents.claim
    shown = contents.lines[:PRINTED_LINES]
    complete = len(contents.lines) <= PRINTED_LINES
    adjustments = Table(
        "冲减明细（关账后撤销的以前期间结算）" if complete else f"冲减明细（前 {PRINTED_LINES} 笔）",
        (Column("流水号", width=1.2), Column("结算日期", Kind.DATE, width=0.9),
         Column("撤销日期", Kind.DATE, width=0.9), *_amount_columns()),
        tuple((cells[0], *cells[2:]) for cells in map(_line_cells, shown)),  # the serial: one printed line each
        totals=_figures(contents, ADJUSTMENT) if complete else None)
    listed = (f"本表不逐笔列出结算（共 {claim.settlements_count} 笔、冲减 {claim.adjustments_count} 笔），"
              "全部明细见申报表 Excel 下载（claim.xlsx）的“申报明细”页。",)
    return _document(contents, (adjustments, SIGNATURES), listed)
