"""The manual (零星) claim's rules (烟台市医疗保障局《烟台市统一医疗保障经办服务办事指南（试行）》（2020-08）
医疗救助对象手工（零星）报销): the materials it asks for, the one-time list of what is missing
(一次性告知), and the time limit of 10 working days after acceptance (受理后10个工作日)."""

from collections.abc import Mapping
from datetime import date, timedelta
from enum import StrEnum

from shared.errors import Conflict
from shared.working_days import nth_working_day

DEADLINE_WORKING_DAYS = 10


class Document(StrEnum):
    """申办材料, as the guide (window) and Tai'erzhuang's plan (township) list them."""

    IDENTITY = "identity"  # 医保电子凭证或有效身份证件或社保卡 / 身份证
    INVOICES = "invoices"  # 医院收费有效票据 / 住院收费专用票据
    FEE_LIST = "fee_list"  # 住院、门诊费用清单
    DISCHARGE_RECORD = "discharge_record"  # 出院记录（诊断证明）
    ASSISTANCE_CERTIFICATE = "assistance_certificate"  # 低保证（农村五保供养证、老年福利证、建档立卡扶贫对象证明）
    PASSBOOK = "passbook"  # 农村商业银行存折（卡）
    INSURANCE_STATEMENT = "insurance_statement"  # 医疗保险费用结算单


DOCUMENT_LABELS = {
    Document.IDENTITY: "医保电子凭证或有效身份证件或社保卡 (insurance e-voucher, ID card or social security card)",
    Document.INVOICES: "医院收费有效票据 (the hospital's valid invoices)",
    Document.FEE_LIST: "住院、门诊费用清单 (the inpatient or outpatient fee list)",
    Document.DISCHARGE_RECORD: "出院记录（诊断证明） (the discharge record or diagnosis certificate)",
    Document.ASSISTANCE_CERTIFICATE: "低保证（农村五保供养证、老年福利证、建档立卡扶贫对象证明）"
    " (the assistance certificate)",
    Document.PASSBOOK: "农村商业银行存折（卡） (the rural commercial bank passbook or card)",
    Document.INSURANCE_STATEMENT: "医疗保险费用结算单 (the basic insurance's settlement statement)",
}


class Channel(StrEnum):
    """Who enters the claim, and so which checklist it follows."""

    WINDOW = "window"  # an agency clerk or the ops window (烟台市…办事指南 医疗救助对象手工（零星）报销)
    # a township office, for care outside the district approved beforehand (台民字〔2017〕26号 二)
    TOWNSHIP = "township"


CHECKLISTS = {
    Channel.WINDOW: (Document.IDENTITY, Document.INVOICES, Document.FEE_LIST, Document.DISCHARGE_RECORD),
    # 001 §五(三)1 区外就诊救助: 身份证、低保证…、农村商业银行存折（卡）, 住院收费专用票据、医疗保险费用结算单
    Channel.TOWNSHIP: (Document.IDENTITY, Document.ASSISTANCE_CERTIFICATE, Document.PASSBOOK, Document.INVOICES,
                       Document.INSURANCE_STATEMENT),
}
TOWNSHIP_REGIONS = ("370405",)
"""Where the township channel exists: Tai'erzhuang district (台民字〔2017〕26号, the only document that has it)."""


class Status(StrEnum):
    INCOMPLETE = "incomplete"  # materials missing: told once what to bring, not calculated
    ACCEPTED = "accepted"  # complete; its settlement failed and is tried again
    CALCULATED = "calculated"  # settled on channel manual, awaiting approval
    APPROVED = "approved"
    PAID = "paid"
    CANCELLED = "cancelled"  # its settlement was cancelled before payment: closed, a new claim is entered


OPEN = (Status.ACCEPTED, Status.CALCULATED, Status.APPROVED)
"""Accepted and not yet paid: what the deadline runs against, and what a cancelled settlement closes."""


SERIAL_PREFIX = "MC-"


def claim_number(claim_id: str) -> str:
    """The claim's number, printed on its document and used as its settlement's serial."""
    return f"{SERIAL_PREFIX}{claim_id}"


def claim_id_of(serial: str) -> str | None:
    """The claim a manual settlement's serial belongs to."""
    return serial.removeprefix(SERIAL_PREFIX) if serial.startswith(SERIAL_PREFIX) else None


def paid_claim_not_cancellable() -> Conflict:
    """A paid claim keeps its settlement: the money reached the person, so cancelling the settlement
    would leave the ledger without what was paid. Recovering it is a matter for the agency, off the platform."""
    return Conflict("该手工报销已支付，不能撤销其结算 (the manual claim is paid: its settlement cannot be cancelled)",
                    code="manual_claim_paid")


def missing(received: Mapping[Document, bool], channel: Channel = Channel.WINDOW) -> list[Document]:
    """Every document of the channel's checklist not recorded as received, in the document's order."""
    return [document for document in CHECKLISTS[channel] if not received.get(document, False)]


def foreign_documents(received: Mapping[Document, bool], channel: Channel) -> list[Document]:
    """Documents named that the channel's checklist does not ask for (a mistake: refused, not ignored)."""
    return [document for document in received if document not in CHECKLISTS[channel]]


def due_on(accepted_on: date) -> date:
    """The 10th working day after acceptance. **Decision**: the day of acceptance is not counted (受理后),
    working days are the State Council's (shared.working_days)."""
    return nth_working_day(accepted_on + timedelta(days=1), DEADLINE_WORKING_DAYS)


def is_overdue(status: Status, due: date | None, today: date) -> bool:
    return status in OPEN and due is not None and due < today
