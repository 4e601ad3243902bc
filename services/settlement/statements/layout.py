"""The printed statement (一单制结算单) laid out from a stored statement (pure: no HTTP, no SQL, no
PDF). Every figure is the stored one, written as stored: nothing is recalculated here."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from services.settlement.settlements.schemas import Statement
from shared.categories import LABELS_ZH, MEDICAL_TYPE_LABELS_ZH
from shared.clock import SHANGHAI

TITLE = "医疗救助“一站式”即时结算单"
MANUAL_TITLE = "医疗救助手工（零星）报销结算单"
NOT_RECORDED = "—"  # a figure the stored statement does not hold (settled before it was kept)


@dataclass(frozen=True, slots=True)
class Line:
    label: str
    value: str
    emphasized: bool = False  # the personal share: what the patient pays
    wide: bool = False  # a row of its own, even in a section of columns (long text: names, reasons)


@dataclass(frozen=True, slots=True)
class Section:
    title: str
    lines: tuple[Line, ...]
    columns: int = 1  # lines side by side: short ones, so the statement fits one A4 page


@dataclass(frozen=True, slots=True)
class Cancelled:
    """The mark a cancelled settlement carries on every copy printed after it was cancelled."""

    mark: str
    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StatementDocument:
    title: str
    subtitle: str
    cancelled: Cancelled | None
    sections: tuple[Section, ...]
    footer: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SelfPayParts:
    """The bill's self-pay parts as the settlement row kept them for a statement stored before the
    statement held its split; None where they were not kept."""

    full_self_pay: Decimal | None
    over_limit_self_pay: Decimal | None
    pre_self_pay: Decimal | None


@dataclass(frozen=True, slots=True)
class ClaimPrint:
    """What a manual (零星) claim adds to its settlement's statement: the claim, how it was entered,
    its invoices and documents checklist, and where it stands (approval, payment)."""

    number: str  # MC-<claim id>, its settlement's serial
    hospital_name: str  # as the invoice names it: the hospital is not in the catalog
    channel: str  # who entered it, in words
    entered_by: str  # the clerk's token subject
    status: str  # in words
    accepted_on: date | None
    due_on: date | None
    invoices: tuple[tuple[str, date, Decimal], ...]  # number, date, amount
    documents: tuple[tuple[str, bool], ...]  # the checklist: label, received
    payee: str  # who or where it is paid (the person, or a passbook, masked)
    approval_reference: str | None = None  # 审批（转诊）编号, care approved outside the district
    paid_on: date | None = None
    payment_reference: str | None = None


def yuan(amount: Decimal | None) -> str:
    return NOT_RECORDED if amount is None else f"{amount:.2f}"


def _day(value: date) -> str:
    return f"{value.year}年{value.month:02d}月{value.day:02d}日"


def _moment(value: datetime) -> str:
    """A moment as a patient in Yantai reads it: Beijing time, to the second."""
    return f"{value.astimezone(SHANGHAI):%Y-%m-%d %H:%M:%S}（北京时间）"


def _identity(statement: Statement) -> str:
    if statement.identity_applied is not None:
        return LABELS_ZH[statement.identity_applied]
    return f"未享受医疗救助：{statement.reason}" if statement.reason else "未享受医疗救助"


# The annual totals a statement prints, in the order of its funds; the occasional ones only when the
# person has any this year.
_ANNUAL_TOTALS = (
    ("basic_paid", "基本医保统筹基金累计支付", True),
    ("critical_illness_paid", "大病保险累计支付", True),
    ("special_drugs_paid", "大病保险特殊药品累计支付", False),
    ("large_expense_paid", "职工大额医疗费用补助累计支付", False),
    ("assistance_paid", "医疗救助累计支付", True),
    ("re_assistance_paid", "再救助累计支付", True),
)


def statement_document(
    statement: Statement, *, hospital_name: str | None, person_name: str | None, older_self_pay: SelfPayParts,
    claim: ClaimPrint | None = None,
) -> StatementDocument:
    """The statement a patient takes home: who and where, the bill and its split, each fund's line,
    the identity applied, the personal share, the year's totals after this settlement, and the
    settlement's own references; a cancelled one marked 已撤销 with when, why and by whom. A manual
    claim's settlement prints the same, titled as a manual claim, with the claim's own section."""
    ytd = statement.year_to_date_after
    if claim is not None:
        hospital_line = Line("就诊医疗机构", claim.hospital_name, wide=True)
    else:
        hospital = f"{statement.hospital_code} {hospital_name}" if hospital_name else statement.hospital_code
        hospital_line = Line("定点医疗机构", hospital, wide=True)
    patient = Section("参保人与就诊信息", (
        hospital_line,
        Line("姓名", person_name or NOT_RECORDED),
        Line("身份证号", statement.id_number),
        Line("医疗类别", MEDICAL_TYPE_LABELS_ZH[statement.medical_type]),
        Line("入院日期", _day(statement.admitted_on)),
        Line("出院日期", _day(statement.discharged_on)),
        Line("适用政策", statement.policy_id),
        Line("救助身份", _identity(statement), wide=True),
    ), columns=2)
    split = statement.split
    self_pay = older_self_pay if split is None else SelfPayParts(
        split.full_self_pay, split.over_limit_self_pay, split.pre_self_pay)
    bill = Section("医疗费用（元）", (
        Line("医疗费用总额", yuan(statement.total)),
        Line("全自费金额", yuan(self_pay.full_self_pay)),
        Line("超限价自费金额", yuan(self_pay.over_limit_self_pay)),
        Line("先行自付金额", yuan(self_pay.pre_self_pay)),
        Line("符合政策范围金额", yuan(statement.policy_range)),
        *([Line("费用明细", f"{split.itemized_lines} 条，按医保目录分类")] if split and split.itemized_lines else []),
    ), columns=1 if claim is None else 2)  # a claim's own section needs the room: one page still
    funds = Section("基金支付（元）", (
        *(Line(f"{fund.label}（{fund.fund}）", yuan(fund.amount)) for fund in statement.funds),
        Line("基金支付合计", yuan(statement.fund_total)),
        Line("医疗机构减免与社会捐助", yuan(statement.other_payments)),
        Line("个人自付", yuan(statement.personal_share), emphasized=True, wide=claim is not None),
    ), columns=1 if claim is None else 2)
    annual = Section(f"{statement.discharged_on.year}年度累计（含本次结算，结算时记录）", (
        Line("本年度结算次数", str(ytd.admissions)),
        *(Line(label, yuan(getattr(ytd, name))) for name, label, always in _ANNUAL_TOTALS
          if always or getattr(ytd, name)),
    ), columns=2)
    references = Section("结算信息", (
        Line("结算编号", statement.settlement_id),
        *([] if claim is not None else [Line("医院结算流水号", statement.his_serial)]),
        Line("结算时间", _moment(statement.settled_at)),
    ))
    return StatementDocument(
        title=TITLE if claim is None else MANUAL_TITLE,
        subtitle="基本医保 · 大病保险 · 医疗救助 一单结清",
        cancelled=_cancelled(statement),
        sections=(patient, bill, funds, annual, references, *([] if claim is None else [_claim_section(claim)])),
        footer=("个人自付 = 医疗费用总额 − 基金支付合计 − 医疗机构减免与社会捐助。金额单位：元。",
                "本结算单据结算时记录的结算结果打印；撤销后的结算不再有效。"),
    )


def _cancelled(statement: Statement) -> Cancelled | None:
    note = statement.cancellation
    if note is None:
        return None
    by = note.operator or note.cancelled_by
    return Cancelled(mark="已撤销", lines=(
        f"本结算已于 {_moment(note.cancelled_at)} 撤销，不再有效。",
        f"撤销原因：{note.reason}",
        f"经办：{by}",
    ))


def _claim_section(claim: ClaimPrint) -> Section:
    """The claim on the statement: its number, channel and state, then each invoice and document."""
    invoices = "；".join(f"{number}（{_day(issued)}，{yuan(amount)}元）" for number, issued, amount in claim.invoices)
    documents = "；".join(f"{label}：{'已收' if received else '缺'}" for label, received in claim.documents)
    return Section("手工（零星）报销申请", (
        Line("申请编号", claim.number, wide=True),
        Line("受理渠道", claim.channel, wide=True),
        *([Line("审批（转诊）编号", claim.approval_reference, wide=True)] if claim.approval_reference else []),
        Line("受理日期", _day(claim.accepted_on) if claim.accepted_on else NOT_RECORDED),
        Line("办结时限", _day(claim.due_on) if claim.due_on else NOT_RECORDED),
        Line("申请状态", claim.status),
        Line("经办", claim.entered_by),
        Line("支付方式", claim.payee, wide=True),
        *([Line("支付日期", _day(claim.paid_on)), Line("支付凭证号", claim.payment_reference or NOT_RECORDED)]
          if claim.paid_on else []),
        Line("票据", invoices or NOT_RECORDED, wide=True),
        Line("申办材料", documents, wide=True),
    ), columns=2)
