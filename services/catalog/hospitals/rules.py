"""The designation rules, pure: what a hospital was on a date, whether an agreement is in force, the
application's steps and the public notice's working days (003 医疗机构申请定点协议管理)."""

from collections.abc import Iterable, Sequence
from datetime import date
from enum import StrEnum
from typing import Protocol, TypeVar

from services.catalog.hospitals import problems
from shared.working_days import nth_working_day

NOTICE_WORKING_DAYS = 5  # 003: 评估结果…公示 5 个工作日


class Ownership(StrEnum):
    PUBLIC = "公立"
    PRIVATE = "民营"


class Level(StrEnum):
    """医院等级 (the basic-insurance schedule reads it: shared/contracts/calculation.py)."""

    LEVEL_1 = "level_1"  # 一级
    LEVEL_2 = "level_2"  # 二级
    LEVEL_3 = "level_3"  # 三级


class Grade(StrEnum):
    A = "A"  # 甲等
    B = "B"  # 乙等
    C = "C"  # 丙等


class HospitalKind(StrEnum):
    GENERAL = "general"  # 综合医院
    TCM = "tcm"  # 中医医院
    INTEGRATED = "integrated"  # 中西医结合医院
    SPECIALIZED = "specialized"  # 专科医院
    MATERNAL_CHILD = "maternal_child"  # 妇幼保健院
    PRIMARY_CARE = "primary_care"  # 基层医疗卫生机构（社区卫生服务中心、乡镇卫生院）
    OTHER = "other"  # 其他


class AgreementService(StrEnum):
    ONE_STOP_ASSISTANCE = "one_stop_assistance"  # 医疗救助"一站式"即时结算
    BASIC_INSURANCE = "basic_insurance"  # 基本医疗保险
    CHRONIC_OUTPATIENT = "chronic_outpatient"  # 门诊慢特病


class ApplicationStatus(StrEnum):
    APPLIED = "applied"  # 提出申请
    EVALUATED = "evaluated"  # 审核评估
    IN_NOTICE = "in_notice"  # 结果公示
    SIGNED = "signed"  # 协议签订
    REFUSED = "refused"  # 不予签订


class Dated(Protocol):
    valid_from: date | None


V = TypeVar("V", bound=Dated)


def version_on(versions: Sequence[V], on: date) -> V | None:
    """The version in effect on `on`: the last to start on or before it (an empty `valid_from` is
    as far back as the records go; of two starting the same day, the later recorded, which comes
    later in `versions`). None before the first."""
    found = None
    for version in versions:
        if version.valid_from is None or version.valid_from <= on:
            if found is None or (found.valid_from or date.min) <= (version.valid_from or date.min):
                found = version
    return found


class Suspension(Protocol):
    suspended_from: date
    lifted_on: date | None


class Agreement(Protocol):
    services: list[str]
    starts_on: date
    ends_on: date | None
    terminated_on: date | None


def in_force(agreement: Agreement, suspensions: Iterable[Suspension], on: date) -> bool:
    """From the start to the end (both inclusive), not on or after its termination, not while
    suspended (from the suspension's first day to the day before it is lifted)."""
    if on < agreement.starts_on or (agreement.ends_on is not None and on > agreement.ends_on):
        return False
    if agreement.terminated_on is not None and on >= agreement.terminated_on:
        return False
    return not any(s.suspended_from <= on and (s.lifted_on is None or on < s.lifted_on) for s in suspensions)


A = TypeVar("A", bound=Agreement)


S = TypeVar("S", bound=Suspension)


def covering_agreement(
    agreements: Iterable[tuple[A, Sequence[S]]], service: AgreementService, on: date,
) -> tuple[A, Sequence[S]] | None:
    """The agreement in force on `on` that covers `service` (the latest started, if several), with
    its suspensions."""
    covering = [(a, s) for a, s in agreements if service in a.services and in_force(a, s, on)]
    return max(covering, key=lambda pair: pair[0].starts_on, default=None)


def notice_end(start: date, working_days: int = NOTICE_WORKING_DAYS) -> date:
    """The last day of a public notice of `working_days` working days starting on `start` (counted
    from `start` itself when it is a working day, else from the next working day)."""
    return nth_working_day(start, working_days)


def ensure_step(status: ApplicationStatus, expected: ApplicationStatus, step: str) -> None:
    """409 application_step_out_of_order unless the application is at `expected`."""
    if status is not expected:
        raise problems.step_out_of_order(status.value, step)


def ensure_not_before(day: date, earlier: date, what: tuple[str, str], code: str) -> None:
    """422 `code` when `day` (what: Chinese, English) comes before `earlier`."""
    if day < earlier:
        raise problems.date_before(earlier, what, code)


def ensure_notice_ended(signed_on: date, notice_until: date) -> None:
    """Signing comes after the 5 working days of public notice, never during them."""
    if signed_on <= notice_until:
        raise problems.notice_not_ended(notice_until)


def ensure_can_refuse(status: ApplicationStatus) -> None:
    if status in (ApplicationStatus.SIGNED, ApplicationStatus.REFUSED):
        raise problems.step_out_of_order(status.value, "驳回 (refuse)")
