from collections.abc import Sequence
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, status

from services.catalog.dependencies import Hospitals, Reader, Regions
from services.catalog.hospitals import problems, service
from services.catalog.hospitals.models import AgreementRow, HospitalRow, HospitalVersionRow, SuspensionRow
from services.catalog.hospitals.repository import AgreementWithSuspensions
from services.catalog.hospitals.rules import AgreementService, covering_agreement, version_on
from services.catalog.hospitals.schemas import (
    AgreementOut,
    ApplicationCreate,
    ApplicationOut,
    ChangeOut,
    ChangePage,
    Evaluation,
    HospitalChange,
    HospitalCreate,
    HospitalOut,
    HospitalPage,
    HospitalVersionOut,
    NoticeStart,
    Refusal,
    Signing,
    SuspensionCreate,
    SuspensionLift,
    SuspensionOut,
    Termination,
)
from services.catalog.regions.models import RegionRow
from services.catalog.regions.schemas import RegionRef
from services.catalog.regions.tree import ancestors, descendants
from shared import clock
from shared.auth import Principal, Role, require
from shared.errors import problem_responses
from shared.types import BusinessDate, plain_text
from shared.working_days import calendar_not_covered

router = APIRouter(prefix="/v1/hospitals", tags=["hospitals 定点医疗机构"])
OnDate = Annotated[BusinessDate | None, Query(description="日期，默认今天 (date; default today)")]
Code = Annotated[str, Path(pattern=r"^[0-9]{6,12}$", examples=["060001"])]
Id = Annotated[int, Path(ge=1, le=2**62)]
Operator = Annotated[Principal, Depends(require(Role.OPS))]
Follower = Annotated[Principal, Depends(require(Role.SERVICE, Role.OPS))]


def _agreement_out(agreement: AgreementRow, suspensions: Sequence[SuspensionRow]) -> AgreementOut:
    out = AgreementOut.model_validate(agreement)
    out.suspensions = [SuspensionOut.model_validate(s) for s in suspensions]
    return out


def _out(
    row: HospitalRow, versions: list[HospitalVersionRow], agreements: list[AgreementWithSuspensions],
    regions: dict[str, RegionRow], on: date,
) -> HospitalOut | None:
    """The hospital as it stood on `on`; None before its first version."""
    version = version_on(versions, on)
    if version is None:
        return None

    def ref(code: str) -> RegionRef:
        region = regions[code]
        return RegionRef(code=region.code, name=region.name, kind=region.kind)

    covering = covering_agreement(agreements, AgreementService.ONE_STOP_ASSISTANCE, on)
    return HospitalOut(
        code=row.code, name=version.name, region=ref(version.region_code),
        region_path=[ref(c) for c in ancestors(regions, version.region_code)],
        ownership=version.ownership, level=version.level, grade=version.grade, kind=version.kind, on=on,
        designated=covering is not None, agreement=None if covering is None else _agreement_out(*covering),
    )


@router.get("", summary="定点医疗机构列表 (hospitals, by region and name)",
            responses=problem_responses(problems.region_not_found("370699")),
            description="按当前名称与区划筛选；每项为所查日期的情形，当日尚未登记的不列出"
            " (filters on the current name and region; each item as it stood on the date;"
            " not yet registered: left out)")
async def list_hospitals(
    _: Reader,
    hospitals: Hospitals,
    regions: Regions,
    region_code: Annotated[
        str | None, Query(pattern=r"^[0-9]{6}$", description="含下级区划 (incl. sub-regions)")
    ] = None,
    name: Annotated[plain_text(64) | None, Query(description="名称包含 (name contains)")] = None,  # type: ignore[valid-type]
    on: OnDate = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> HospitalPage:
    all_regions = await regions.all()
    region_codes = None
    if region_code is not None:
        if region_code not in all_regions:
            raise problems.region_not_found(region_code)
        region_codes = descendants(all_regions.values(), region_code)
    day = on or clock.today()
    rows, total = await hospitals.search(region_codes=region_codes, name=name, on=day, limit=limit, offset=offset)
    codes = [row.code for row in rows]
    versions, agreements = await hospitals.versions(codes), await hospitals.agreements(codes)
    items = [_out(row, versions[row.code], agreements[row.code], all_regions, day) for row in rows]
    return HospitalPage(items=[i for i in items if i is not None], total=total, limit=limit, offset=offset)


@router.post("", status_code=status.HTTP_201_CREATED, summary="登记医疗机构 (register a hospital)",
             responses=problem_responses(problems.hospital_exists("060001"), problems.region_unknown("370699"),
                                         problems.effective_date_in_future()))
async def register_hospital(
    principal: Operator, data: HospitalCreate, hospitals: Hospitals, regions: Regions,
) -> HospitalOut:
    row = await service.register_hospital(hospitals, regions, data, principal)
    return await _read(hospitals, regions, row.code, clock.today())


@router.get("/changes", summary="变更序列：供各服务刷新缓存 (the change sequence, for caches)",
            description="不带 after：只返回当前最大序号 (without after: only the latest sequence number)")
async def hospital_changes(
    _: Follower,
    hospitals: Hospitals,
    after: Annotated[int | None, Query(ge=0, le=2**62)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> ChangePage:
    if after is None:
        return ChangePage(items=[], last_seq=await hospitals.last_change())
    rows = await hospitals.changes_after(after, limit)
    # Nothing after `after`: answer `after` itself, not the latest number, which a change committed
    # since the first statement could have raised without being in `rows`. Below `after` only when
    # the sequence restarted (a new database): the follower then forgets everything.
    last_seq = rows[-1].seq if rows else min(after, await hospitals.last_change())
    return ChangePage(items=[ChangeOut.model_validate(r) for r in rows], last_seq=last_seq)


async def _read(hospitals: Hospitals, regions: Regions, code: str, on: date) -> HospitalOut:
    row = await service.get_hospital(hospitals, code)
    versions, agreements = await hospitals.versions([code]), await hospitals.agreements([code])
    out = _out(row, versions[code], agreements[code], await regions.all(), on)
    if out is None:
        raise problems.not_yet_registered(code, on)
    return out


@router.get("/{code}", summary="按编码查询医疗机构，某日情形 (a hospital by code, as it stood on a date)",
            responses=problem_responses(problems.hospital_not_found("069999")))
async def read_hospital(
    code: Code, _: Reader, hospitals: Hospitals, regions: Regions, on: OnDate = None,
) -> HospitalOut:
    return await _read(hospitals, regions, code, on or clock.today())


@router.patch("/{code}", summary="变更医疗机构信息，留存历史 (change a hospital; history kept)",
              responses=problem_responses(
                  problems.hospital_not_found("069999"), problems.region_unknown("370699"),
                  problems.nothing_to_change(),
                  problems.required_attribute(), problems.effective_date_in_future(),
                  problems.effective_date_before_latest(date(2024, 7, 1))))
async def change_hospital(
    code: Code, principal: Operator, data: HospitalChange, hospitals: Hospitals, regions: Regions,
) -> HospitalOut:
    await service.change_hospital(hospitals, regions, code, data, principal)
    return await _read(hospitals, regions, code, clock.today())


@router.get("/{code}/history", summary="变更历史：何人、何时、为何 (versions: who changed what, when, why)",
            responses=problem_responses(problems.hospital_not_found("069999")))
async def hospital_history(code: Code, _: Reader, hospitals: Hospitals) -> list[HospitalVersionOut]:
    await service.get_hospital(hospitals, code)
    out, previous = [], None
    for version in (await hospitals.versions([code]))[code]:
        changed = [name for name in service.ATTRIBUTES
                   if previous is None or getattr(version, name) != getattr(previous, name)]
        out.append(HospitalVersionOut.model_validate({
            **{c: getattr(version, c) for c in HospitalVersionOut.model_fields if c != "changed"},
            "changed": changed}))
        previous = version
    return out


@router.get("/{code}/agreements", summary="定点服务协议 (the hospital's agreements)", responses=problem_responses(
    problems.hospital_not_found("069999")))
async def list_agreements(code: Code, _: Reader, hospitals: Hospitals) -> list[AgreementOut]:
    await service.get_hospital(hospitals, code)
    return [_agreement_out(a, s) for a, s in (await hospitals.agreements([code]))[code]]


async def _agreement_read(hospitals: Hospitals, agreement: AgreementRow) -> AgreementOut:
    return _agreement_out(agreement, await hospitals.suspensions(agreement.id))


@router.post("/{code}/agreements/{agreement_id}/suspension", summary="暂停协议 (suspend an agreement)",
             responses=problem_responses(
                 problems.agreement_not_found(), problems.agreement_suspended(),
                 problems.agreement_terminated(date(2024, 7, 1)),
                 problems.date_before(date(2018, 5, 22), ("暂停日", "suspended_from"), "suspension_before_start")))
async def suspend_agreement(
    code: Code, agreement_id: Id, principal: Operator, data: SuspensionCreate, hospitals: Hospitals,
) -> AgreementOut:
    agreement = await service.suspend_agreement(hospitals, code, agreement_id, data, principal)
    return await _agreement_read(hospitals, agreement)


@router.post("/{code}/agreements/{agreement_id}/suspension/lift", summary="恢复暂停的协议 (lift a suspension)",
             responses=problem_responses(
                 problems.agreement_not_found(), problems.agreement_not_suspended(),
                 problems.agreement_terminated(date(2024, 7, 1)),
                 problems.date_before(date(2023, 3, 1), ("恢复日", "lifted_on"), "lift_before_suspension")))
async def lift_suspension(
    code: Code, agreement_id: Id, principal: Operator, data: SuspensionLift, hospitals: Hospitals,
) -> AgreementOut:
    agreement = await service.lift_suspension(hospitals, code, agreement_id, data, principal)
    return await _agreement_read(hospitals, agreement)


@router.post("/{code}/agreements/{agreement_id}/termination", summary="解除协议 (terminate an agreement)",
             responses=problem_responses(
                 problems.agreement_not_found(), problems.agreement_terminated(date(2024, 7, 1)),
                 problems.date_before(date(2018, 5, 22), ("解除日", "terminated_on"), "termination_before_start")))
async def terminate_agreement(
    code: Code, agreement_id: Id, principal: Operator, data: Termination, hospitals: Hospitals,
) -> AgreementOut:
    agreement = await service.terminate_agreement(hospitals, code, agreement_id, data, principal)
    return await _agreement_read(hospitals, agreement)


@router.post("/{code}/applications", status_code=status.HTTP_201_CREATED,
             summary="定点申请：提出申请 (an application for an agreement)", responses=problem_responses(
                 problems.hospital_not_found("069999"), problems.date_in_future(("申请日", "applied_on"))))
async def create_application(
    code: Code, principal: Operator, data: ApplicationCreate, hospitals: Hospitals,
) -> ApplicationOut:
    return ApplicationOut.model_validate(await service.apply(hospitals, code, data, principal))


@router.get("/{code}/applications", summary="定点申请记录 (the hospital's applications)",
            responses=problem_responses(problems.hospital_not_found("069999")))
async def list_applications(code: Code, _: Reader, hospitals: Hospitals) -> list[ApplicationOut]:
    await service.get_hospital(hospitals, code)
    return [ApplicationOut.model_validate(a) for a in await hospitals.applications(code)]


@router.post("/{code}/applications/{application_id}/evaluation", summary="审核评估 (record the evaluation)",
             responses=problem_responses(
                 problems.application_not_found(), problems.step_out_of_order("evaluated", "审核评估 (evaluate)"),
                 problems.date_before(date(2025, 9, 1), ("评估日", "evaluated_on"), "date_out_of_order"),
                 problems.date_in_future(("评估日", "evaluated_on"))))
async def evaluate_application(
    code: Code, application_id: Id, principal: Operator, data: Evaluation, hospitals: Hospitals,
) -> ApplicationOut:
    return ApplicationOut.model_validate(await service.evaluate(hospitals, code, application_id, data, principal))


@router.post("/{code}/applications/{application_id}/notice",
             summary="结果公示5个工作日 (start the public notice of 5 working days)",
             description="公示期按法定节假日与调休计算；日历未收录的年份 422 calendar_not_covered"
             " (holidays and make-up working days counted; a year the calendar lacks is refused)",
             responses=problem_responses(
                 problems.application_not_found(), problems.step_out_of_order("applied", "公示 (start the notice)"),
                 problems.date_before(date(2025, 9, 20), ("公示起始日", "notice_from"), "date_out_of_order"),
                 problems.date_in_future(("公示起始日", "notice_from")), calendar_not_covered(2099)))
async def start_notice(
    code: Code, application_id: Id, principal: Operator, data: NoticeStart, hospitals: Hospitals,
) -> ApplicationOut:
    return ApplicationOut.model_validate(await service.start_notice(hospitals, code, application_id, data, principal))


@router.post("/{code}/applications/{application_id}/signing",
             summary="签订协议：公示期满后，生成协议 (sign: after the notice; creates the agreement)",
             responses=problem_responses(
                 problems.application_not_found(), problems.step_out_of_order("evaluated", "签订协议 (sign)"),
                 problems.agreement_exists("枣医保协〔2026〕1号"), problems.notice_not_ended(date(2025, 10, 11)),
                 problems.date_before(date(2026, 3, 2), ("到期日", "ends_on"), "date_out_of_order"),
                 problems.date_in_future(("签订日", "signed_on"))))
async def sign_application(
    code: Code, application_id: Id, principal: Operator, data: Signing, hospitals: Hospitals,
) -> AgreementOut:
    _, agreement = await service.sign(hospitals, code, application_id, data, principal)
    return _agreement_out(agreement, [])


@router.post("/{code}/applications/{application_id}/refusal", summary="不予签订 (refuse the application)",
             responses=problem_responses(
                 problems.application_not_found(), problems.step_out_of_order("signed", "驳回 (refuse)"),
                 problems.date_before(date(2025, 9, 1), ("驳回日", "refused_on"), "date_out_of_order"),
                 problems.date_in_future(("驳回日", "refused_on"))))
async def refuse_application(
    code: Code, application_id: Id, principal: Operator, data: Refusal, hospitals: Hospitals,
) -> ApplicationOut:
    return ApplicationOut.model_validate(await service.refuse(hospitals, code, application_id, data, principal))
