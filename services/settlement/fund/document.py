"""The clearing statement as the document civil affairs downloads (Excel and PDF): every figure is
the statement's own; the writers only lay it out and write its sums as formulas."""

from decimal import Decimal

from services.settlement.documents.layout import Column, Kind, Reckoning, Table, TableDocument, Term
from services.settlement.fund.rules import Standing
from services.settlement.fund.schemas import ClearingStatement, CorrectionLine
from shared.clock import SHANGHAI

TITLE = "民政医疗救（补）助资金往来月度清算表"


def _moment(statement: ClearingStatement) -> str:
    return f"{statement.generated_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M:%S}（北京时间）"


def _as_moved(amount: Decimal, sign: int) -> Decimal:
    return amount if sign > 0 else Decimal(0) - amount  # 0 − 0.00 is 0.00, where −0.00 would print "-0.00"


def _corrections(title: str, lines: list[CorrectionLine], sign: int, total: Decimal) -> Table:
    """The month's approved corrections of one direction (`sign` 1: paid out; -1: came back, shown
    positive), summed to the balance's term."""
    return Table(title, (
        Column("批准日期", Kind.DATE, width=1.1), Column("更正建议编号", width=3.4), Column("结算编号", width=3.4),
        Column("区县账户"), Column("医疗机构编码", width=1.2), Column("医疗救助", Kind.MONEY),
        Column("再救助", Kind.MONEY), Column("合计", Kind.MONEY, summed=True),
    ), tuple((c.decided_at.astimezone(SHANGHAI).date(), c.proposal_id, c.settlement_id, c.region_code,
              c.hospital_code, _as_moved(c.assistance, sign), _as_moved(c.re_assistance, sign),
              _as_moved(c.total, sign))
             for c in lines if _as_moved(c.total, sign) > 0), totals=(total,))


def clearing_document(statement: ClearingStatement) -> TableDocument:
    month = f"{statement.first_day.year}年{statement.first_day.month:02d}月"
    if statement.to_date:
        month += "（本月未结束，截至生成时）"
    balance = Reckoning("本月资金收支（元）", (
        Term("期初余额", statement.opening_balance),
        Term("加：本月预拨", statement.pre_funded),
        Term("减：本月医疗救助支出", statement.drawn_assistance, -1),
        Term("减：本月再救助支出", statement.drawn_re_assistance, -1),
        Term("加：本月调整（撤销结算退回）", statement.adjustments),
        Term("减：本月更正补付", statement.corrections_paid, -1),
        Term("加：本月更正追回", statement.corrections_recovered),
    ), "期末余额", statement.closing_balance, emphasized=statement.warning.standing != Standing.OK)
    pre_fundings = Table("本月预拨明细", (
        Column("到账日期", Kind.DATE), Column("拨款凭证号", width=1.6), Column("记入账户"),
        Column("预拨金额", Kind.MONEY, summed=True), Column("录入人"),
    ), tuple((p.funded_on, p.reference, p.region_code, p.amount, p.recorded_by) for p in statement.pre_fundings),
        totals=(statement.pre_funded,))
    hospitals = Table("本月支出（按定点医疗机构）", (
        Column("区县账户"), Column("医疗机构编码"), Column("结算笔数", Kind.COUNT, summed=True),
        Column("医疗救助", Kind.MONEY, summed=True), Column("再救助", Kind.MONEY, summed=True),
        Column("合计支出", Kind.MONEY, summed=True),
    ), tuple((h.region_code, h.hospital_code, h.settlements, h.assistance, h.re_assistance, h.total)
             for h in statement.by_hospital),
        totals=(statement.settlements, statement.drawn_assistance, statement.drawn_re_assistance, statement.drawn))
    cancellations = Table("本月调整（撤销结算退回）", (
        Column("结算编号", width=2.2), Column("区县账户"), Column("医疗机构编码"),
        Column("结算日期", Kind.DATE), Column("撤销日期", Kind.DATE), Column("退回金额", Kind.MONEY, summed=True),
    ), tuple((c.settlement_id, c.region_code, c.hospital_code, c.settled_at.astimezone(SHANGHAI).date(),
              c.cancelled_at.astimezone(SHANGHAI).date(), c.returned) for c in statement.cancellations),
        totals=(statement.adjustments,))
    warning = statement.warning
    return TableDocument(
        title=TITLE,
        subtitle="市社保中心与各县市区“民政医疗救（补）助”往来核算，每月拨付、结清",
        facts=(
            ("账户", f"{statement.region_code} {statement.region_name}"),
            ("清算月份", month),
            ("本月结算笔数", str(statement.settlements)),
            ("本月撤销笔数", str(statement.cancellations_count)),
            ("可支付天数", "—" if warning.days_of_cover is None else
             f"{warning.days_of_cover} 天（按近{warning.window_days}日日均支出；"
             f"预警阈值 {warning.threshold_days} 天）"),
            ("生成时间", _moment(statement)),
        ),
        blocks=(balance, pre_fundings, hospitals, cancellations,
                _corrections("本月更正补付（已批准的更正建议，由基金支出）", statement.corrections, 1,
                             statement.corrections_paid),
                _corrections("本月更正追回（已批准的更正建议，退回基金）", statement.corrections, -1,
                             statement.corrections_recovered)),
        footer=(
            "期末余额 = 期初余额 + 本月预拨 − 本月医疗救助支出 − 本月再救助支出 + 本月调整 − 本月更正补付"
            " + 本月更正追回。金额单位：元。",
            "更正按批准月份计入：更正建议批准之月，差额由基金补付参保人或向参保人追回后退回基金（逐笔结算列明）。",
            "依据：烟台市民政局 烟台市社会保险服务中心"
            "《关于开展居民医疗救（补）助“一站式”联网即时结算业务的通知》二、2。",
            "余额不足或透支只作预警，结算照常进行，不因资金不足拒绝任何患者。",
        ),
        warning=(warning.message,) if warning.message else (),
        landscape=True,
    )
