"""The manual (零星) claim's rules (烟台市医疗保障局《烟台市统一医疗保障经办服务办事指南（试行）》（2020-08）
医疗救助对象手工（零星）报销): the materials it asks for, the one-time list of what is missing
(一次性告知), and the time limit of 10 working days after acceptance (受理后10个工作日)."""

from collections.abc import Mapping
from datetime import date, timedelta
from enum import StrEnum

from shared.working_days import nth_working_day

DEADLINE_WORKING_DAYS = 10


class Document(StrEnum):
    """申办材料, as the guide lists them."""

    IDENTITY = "identity"  # 医保电子凭证或有效身份证件或社保卡
    INVOICES = "invoices"  # 医院收费有效票据
    FEE_LIST = "fee_list"  # 住院、门诊费用清单
    DISCHARGE_RECORD = "discharge_record"  # 出院记录（诊断证明）


DOCUMENT_LABELS = {
    Document.IDENTITY: "医保电子凭证或有效身份证件或社保卡 (insurance e-voucher, ID card or social security card)",
    Document.INVOICES: "医院收费有效票据 (the hospital's valid invoices)",
    Document.FEE_LIST: "住院、门诊费用清单 (the inpatient or outpatient fee list)",
    Document.DISCHARGE_RECORD: "出院记录（诊断证明） (the discharge record or diagnosis certificate)",
}


class Status(StrEnum):
    INCOMPLETE = "incomplete"  # materials missing: told once what to bring, not calculated
    ACCEPTED = "accepted"  # complete; its settlement failed and is tried again
    CALCULATED = "calculated"  # settled on channel manual, awaiting approval
    APPROVED = "approved"
    PAID = "paid"


OPEN = (Status.ACCEPTED, Status.CALCULATED, Status.APPROVED)
"""Accepted and not yet paid: what the deadline runs against."""


def missing(received: Mapping[Document, bool]) -> list[Document]:
    """Every document of the checklist not recorded as received, in the guide's order."""
    return [document for document in Document if not received.get(document, False)]


def due_on(accepted_on: date) -> date:
    """The 10th working day after acceptance. **Decision**: the day of acceptance is not counted (受理后),
    working days are the State Council's (shared.working_days)."""
    return nth_working_day(accepted_on + timedelta(days=1), DEADLINE_WORKING_DAYS)


def is_overdue(status: Status, due: date | None, today: date) -> bool:
    return status in OPEN and due is not None and due < today
