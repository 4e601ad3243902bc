"""Every refusal of the hospital routes, made in one place: the domain raises them and the routes
show them as their documented examples (with sample values)."""

from datetime import date

from shared.errors import Conflict, NotFound, Unprocessable


def hospital_not_found(code: str) -> NotFound:
    return NotFound(f"未知医疗机构编码 {code} (unknown hospital code)", code="hospital_not_found")


def not_yet_registered(code: str, on: date) -> NotFound:
    return NotFound(f"医疗机构 {code} 在 {on.isoformat()} 尚未登记 (not registered on that date)",
                    code="hospital_not_found")


def region_not_found(code: str) -> NotFound:
    return NotFound(f"未知区划代码 {code} (unknown region code)", code="region_not_found")


def region_unknown(code: str) -> Unprocessable:
    return Unprocessable(f"未知区划代码 {code} (unknown region code)", code="region_unknown")


def hospital_exists(code: str) -> Conflict:
    return Conflict(f"医疗机构编码 {code} 已登记 (a hospital with this code exists)", code="hospital_exists")


def effective_date_in_future() -> Unprocessable:
    return Unprocessable("生效日不能晚于今天 (effective_from is in the future)", code="effective_date_in_future")


def effective_date_before_latest(latest: date) -> Unprocessable:
    return Unprocessable(
        f"生效日早于最近一次变更的生效日 {latest.isoformat()} (effective_from is before the latest version's,"
        f" {latest.isoformat()})", code="effective_date_before_latest",
    )


def nothing_to_change() -> Unprocessable:
    return Unprocessable("未给出要变更的字段 (nothing to change)", code="nothing_to_change")


def required_attribute() -> Unprocessable:
    return Unprocessable("名称、区划与所有制不能为空 (name, region_code and ownership cannot be empty)",
                         code="required_attribute")


def agreement_not_found() -> NotFound:
    return NotFound("未找到该协议 (no such agreement)", code="agreement_not_found")


def agreement_exists(number: str) -> Conflict:
    return Conflict(f"协议编号 {number} 已存在 (an agreement with this number exists)", code="agreement_exists")


def agreement_terminated(on: date) -> Conflict:
    return Conflict(f"协议已于 {on.isoformat()} 解除 (the agreement is terminated)", code="agreement_terminated")


def agreement_suspended() -> Conflict:
    return Conflict("协议已在暂停中，请先恢复 (already suspended; lift it first)", code="agreement_suspended")


def agreement_not_suspended() -> Conflict:
    return Conflict("协议未暂停 (the agreement is not suspended)", code="agreement_not_suspended")


def application_not_found() -> NotFound:
    return NotFound("未找到该定点申请 (no such application)", code="application_not_found")


def step_out_of_order(status: str, step: str) -> Conflict:
    """`step`: what was asked, Chinese then English in brackets."""
    return Conflict(f"申请当前状态为 {status}，不能{step} (the application is {status})",
                    code="application_step_out_of_order", extra={"application_status": status})


def date_before(earlier: date, what: tuple[str, str], code: str) -> Unprocessable:
    """`what` (Chinese, English) may not come before `earlier`."""
    return Unprocessable(f"{what[0]}不能早于 {earlier.isoformat()} ({what[1]} is before {earlier.isoformat()})",
                         code=code)


def date_in_future(what: tuple[str, str]) -> Unprocessable:
    """A workflow step's date (`what`: Chinese, English) is the day it happened: not after today."""
    return Unprocessable(f"{what[0]}不能晚于今天 ({what[1]} is in the future)", code="date_in_future")


def notice_not_ended(notice_until: date) -> Unprocessable:
    return Unprocessable(
        f"公示期至 {notice_until.isoformat()} 结束，之后方可签订协议"
        f" (the public notice runs until {notice_until.isoformat()}; sign after it)",
        code="notice_not_ended", extra={"notice_until": notice_until.isoformat()},
    )
