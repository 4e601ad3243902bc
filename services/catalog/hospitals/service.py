"""Use cases on hospitals and their agreements: plain functions over the repository; no HTTP, no
commit (the request's session commits). Every write takes the write lock first, keeps what was
before (a version, a suspension record) and numbers itself in `hospital_changes`."""

from datetime import UTC, date, datetime

from services.catalog.hospitals import problems, rules
from services.catalog.hospitals.models import (
    AgreementRow,
    ApplicationRow,
    HospitalRow,
    HospitalVersionRow,
    SuspensionRow,
)
from services.catalog.hospitals.repository import HospitalRepository
from services.catalog.hospitals.rules import ApplicationStatus
from services.catalog.hospitals.schemas import (
    ApplicationCreate,
    Evaluation,
    HospitalChange,
    HospitalCreate,
    NoticeStart,
    Refusal,
    Signing,
    SuspensionCreate,
    SuspensionLift,
    Termination,
)
from services.catalog.regions.repository import RegionRepository
from shared import clock
from shared.auth import Principal

ATTRIBUTES = ("name", "region_code", "ownership", "level", "grade", "kind")
REQUIRED = {"name", "region_code", "ownership"}  # level, grade and kind may become unknown again


def _effective_from(day: date | None) -> date:
    today = clock.today()
    if day is not None and day > today:
        raise problems.effective_date_in_future()
    return day or today


def _happened_on(day: date, what: tuple[str, str]) -> None:
    """A workflow step is recorded once it happened, as a hospital change is (`_effective_from`)."""
    if day > clock.today():
        raise problems.date_in_future(what)


async def _ensure_region(regions: RegionRepository, region_code: str) -> None:
    if region_code not in await regions.all():
        raise problems.region_unknown(region_code)


async def get_hospital(hospitals: HospitalRepository, code: str) -> HospitalRow:
    row = await hospitals.by_code(code)
    if row is None:
        raise problems.hospital_not_found(code)
    return row


async def register_hospital(
    hospitals: HospitalRepository, regions: RegionRepository, data: HospitalCreate, principal: Principal,
) -> HospitalRow:
    await hospitals.serialize_writes()
    await _ensure_region(regions, data.region_code)
    valid_from = _effective_from(data.effective_from)
    if await hospitals.by_code(data.code) is not None:
        raise problems.hospital_exists(data.code)
    attributes = {name: getattr(data, name) for name in ATTRIBUTES}
    row = HospitalRow(code=data.code, **attributes)
    hospitals.add(row)
    await hospitals.session.flush()  # the version refers to it
    hospitals.add(HospitalVersionRow(
        hospital_code=data.code, valid_from=valid_from, **attributes, reason=data.reason,
        recorded_by=principal.subject, recorded_at=datetime.now(UTC),
    ))
    await hospitals.record_change(data.code, "registered")
    return row


async def change_hospital(
    hospitals: HospitalRepository, regions: RegionRepository, code: str, data: HospitalChange, principal: Principal,
) -> HospitalRow:
    """A new version from `effective_from` with the fields sent; the latest version becomes the
    hospital's current attributes. A version may not start before the latest one (the past is
    corrected by a new version, never rewritten)."""
    await hospitals.serialize_writes()
    row = await get_hospital(hospitals, code)
    sent = data.model_fields_set & set(ATTRIBUTES)
    if not sent:
        raise problems.nothing_to_change()
    if data.region_code is not None:
        await _ensure_region(regions, data.region_code)
    if any(getattr(data, name) is None for name in sent & REQUIRED):
        raise problems.required_attribute()
    valid_from = _effective_from(data.effective_from)
    latest = (await hospitals.versions([code]))[code][-1]
    if latest.valid_from is not None and valid_from < latest.valid_from:
        raise problems.effective_date_before_latest(latest.valid_from)
    attributes = {name: getattr(data, name) if name in sent else getattr(latest, name) for name in ATTRIBUTES}
    hospitals.add(HospitalVersionRow(
        hospital_code=code, valid_from=valid_from, **attributes, reason=data.reason,
        recorded_by=principal.subject, recorded_at=datetime.now(UTC),
    ))
    for name, value in attributes.items():
        setattr(row, name, value)
    await hospitals.record_change(code, "changed")
    return row


async def _agreement_to_change(hospitals: HospitalRepository, code: str, agreement_id: int) -> AgreementRow:
    """The hospital's agreement, write lock taken, refused if terminated (nothing changes after)."""
    await hospitals.serialize_writes()
    agreement = await hospitals.agreement(agreement_id)
    if agreement is None or agreement.hospital_code != code:
        raise problems.agreement_not_found()
    if agreement.terminated_on is not None:
        raise problems.agreement_terminated(agreement.terminated_on)
    return agreement


async def suspend_agreement(
    hospitals: HospitalRepository, code: str, agreement_id: int, data: SuspensionCreate, principal: Principal,
) -> AgreementRow:
    agreement = await _agreement_to_change(hospitals, code, agreement_id)
    rules.ensure_not_before(data.suspended_from, agreement.starts_on, ("暂停日", "suspended_from"),
                            "suspension_before_start")
    if any(s.lifted_on is None for s in await hospitals.suspensions(agreement.id)):
        raise problems.agreement_suspended()
    hospitals.add(SuspensionRow(
        agreement_id=agreement.id, suspended_from=data.suspended_from, reason=data.reason,
        recorded_by=principal.subject, recorded_at=datetime.now(UTC),
    ))
    await hospitals.record_change(code, "suspended")
    return agreement


async def lift_suspension(
    hospitals: HospitalRepository, code: str, agreement_id: int, data: SuspensionLift, principal: Principal,
) -> AgreementRow:
    agreement = await _agreement_to_change(hospitals, code, agreement_id)
    open_suspension = next((s for s in await hospitals.suspensions(agreement.id) if s.lifted_on is None), None)
    if open_suspension is None:
        raise problems.agreement_not_suspended()
    rules.ensure_not_before(data.lifted_on, open_suspension.suspended_from, ("恢复日", "lifted_on"),
                            "lift_before_suspension")
    open_suspension.lifted_on = data.lifted_on
    open_suspension.lift_reason = data.reason
    open_suspension.lifted_by = principal.subject
    open_suspension.lifted_at = datetime.now(UTC)
    await hospitals.record_change(code, "suspension_lifted")
    return agreement


async def terminate_agreement(
    hospitals: HospitalRepository, code: str, agreement_id: int, data: Termination, principal: Principal,
) -> AgreementRow:
    agreement = await _agreement_to_change(hospitals, code, agreement_id)
    rules.ensure_not_before(data.terminated_on, agreement.starts_on, ("解除日", "terminated_on"),
                            "termination_before_start")
    agreement.terminated_on = data.terminated_on
    agreement.termination_reason = data.reason
    await hospitals.record_change(code, "terminated")
    return agreement


async def apply(
    hospitals: HospitalRepository, code: str, data: ApplicationCreate, principal: Principal,
) -> ApplicationRow:
    _happened_on(data.applied_on, ("申请日", "applied_on"))
    await get_hospital(hospitals, code)
    application = ApplicationRow(
        hospital_code=code, services=sorted(set(data.services)), status=ApplicationStatus.APPLIED,
        applied_on=data.applied_on, recorded_by=principal.subject, updated_at=datetime.now(UTC),
    )
    hospitals.add(application)
    await hospitals.session.flush()
    return application


async def _application_of(hospitals: HospitalRepository, code: str, application_id: int) -> ApplicationRow:
    """The hospital's application, write lock taken first: two steps at once (a refusal and a signing)
    take turns, and the second sees the status the first left."""
    await hospitals.serialize_writes()
    application = await hospitals.application(application_id)
    if application is None or application.hospital_code != code:
        raise problems.application_not_found()
    return application


def _touched(application: ApplicationRow, principal: Principal) -> ApplicationRow:
    application.recorded_by = principal.subject
    application.updated_at = datetime.now(UTC)
    return application


async def evaluate(
    hospitals: HospitalRepository, code: str, application_id: int, data: Evaluation, principal: Principal,
) -> ApplicationRow:
    _happened_on(data.evaluated_on, ("评估日", "evaluated_on"))
    application = await _application_of(hospitals, code, application_id)
    rules.ensure_step(ApplicationStatus(application.status), ApplicationStatus.APPLIED, "审核评估 (evaluate)")
    rules.ensure_not_before(data.evaluated_on, application.applied_on, ("评估日", "evaluated_on"),
                            "date_out_of_order")
    application.status = ApplicationStatus.EVALUATED
    application.evaluated_on, application.evaluation = data.evaluated_on, data.evaluation
    return _touched(application, principal)


async def start_notice(
    hospitals: HospitalRepository, code: str, application_id: int, data: NoticeStart, principal: Principal,
) -> ApplicationRow:
    _happened_on(data.notice_from, ("公示起始日", "notice_from"))
    application = await _application_of(hospitals, code, application_id)
    rules.ensure_step(ApplicationStatus(application.status), ApplicationStatus.EVALUATED, "公示 (start the notice)")
    assert application.evaluated_on is not None
    rules.ensure_not_before(data.notice_from, application.evaluated_on, ("公示起始日", "notice_from"),
                            "date_out_of_order")
    application.notice_until = rules.notice_end(data.notice_from)
    application.status = ApplicationStatus.IN_NOTICE
    application.notice_from = data.notice_from
    return _touched(application, principal)


async def sign(
    hospitals: HospitalRepository, code: str, application_id: int, data: Signing, principal: Principal,
) -> tuple[ApplicationRow, AgreementRow]:
    """Signing creates the agreement, once the notice period is over."""
    _happened_on(data.signed_on, ("签订日", "signed_on"))
    application = await _application_of(hospitals, code, application_id)
    rules.ensure_step(ApplicationStatus(application.status), ApplicationStatus.IN_NOTICE, "签订协议 (sign)")
    assert application.notice_until is not None
    rules.ensure_notice_ended(data.signed_on, application.notice_until)
    rules.ensure_not_before(data.starts_on, data.signed_on, ("协议起始日", "starts_on"), "date_out_of_order")
    if data.ends_on is not None:
        rules.ensure_not_before(data.ends_on, data.starts_on, ("到期日", "ends_on"), "date_out_of_order")
    if await hospitals.agreement_by_number(data.number) is not None:
        raise problems.agreement_exists(data.number)
    agreement = AgreementRow(
        number=data.number, hospital_code=code, services=application.services, signed_on=data.signed_on,
        starts_on=data.starts_on, ends_on=data.ends_on,
        source=f"定点申请 #{application.id}（{application.applied_on.isoformat()} 申请）(application)",
        recorded_by=principal.subject, recorded_at=datetime.now(UTC),
    )
    hospitals.add(agreement)
    await hospitals.session.flush()
    application.status = ApplicationStatus.SIGNED
    application.signed_on, application.agreement_id = data.signed_on, agreement.id
    _touched(application, principal)
    await hospitals.record_change(code, "agreement_signed")
    return application, agreement


async def refuse(
    hospitals: HospitalRepository, code: str, application_id: int, data: Refusal, principal: Principal,
) -> ApplicationRow:
    _happened_on(data.refused_on, ("驳回日", "refused_on"))
    application = await _application_of(hospitals, code, application_id)
    rules.ensure_can_refuse(ApplicationStatus(application.status))
    rules.ensure_not_before(data.refused_on, application.applied_on, ("驳回日", "refused_on"), "date_out_of_order")
    application.status = ApplicationStatus.REFUSED
    application.refused_on, application.refusal_reason = data.refused_on, data.reason
    return _touched(application, principal)
