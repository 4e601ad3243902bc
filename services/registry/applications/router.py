from typing import Annotated

from fastapi import APIRouter, Path, status
from sqlalchemy import select

from services.registry.applications.models import IllnessPovertyApplicationRow
from services.registry.applications.schemas import ApplicationCreate, ApplicationOut, Approval, Rejection
from services.registry.applications.service import approve, reject, submit
from services.registry.dependencies import Reader, ValidPerson, Writer
from services.registry.persons.service import person_not_found
from shared.db import DbSession
from shared.errors import Conflict, NotFound, Unprocessable, problem_responses

router = APIRouter(prefix="/v1/persons/{id_number}/illness-poverty-applications", tags=["applications 因病致贫申请"])
ApplicationId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
_DECISION_PROBLEMS = (
    person_not_found(),
    NotFound("无此申请 (no such application)", code="application_not_found"),
    Conflict("申请已approved，不能再处理 (already decided)", code="application_decided"),
)


@router.post("", status_code=status.HTTP_201_CREATED, responses=problem_responses(
    person_not_found(),
    Conflict("2023年已申请过因病致贫认定，一个年度内不得重复申请 (one application a year)",
             code="application_exists_this_year"),
),
             summary="提交因病致贫认定申请，一年一次 (apply for illness-caused poverty; once a year)")
async def create(principal: Writer, person: ValidPerson, data: ApplicationCreate, session: DbSession) -> ApplicationOut:
    return ApplicationOut.model_validate(await submit(session, person, data, principal), from_attributes=True)


@router.get("", summary="申请记录 (a person's applications)", responses=problem_responses(person_not_found()))
async def list_applications(_: Reader, person: ValidPerson, session: DbSession) -> list[ApplicationOut]:
    rows = await session.scalars(select(IllnessPovertyApplicationRow).where(
        IllnessPovertyApplicationRow.person_id == person.id).order_by(IllnessPovertyApplicationRow.applied_on))
    return [ApplicationOut.model_validate(r, from_attributes=True) for r in rows]


@router.post("/{application_id}/approve", responses=problem_responses(
    *_DECISION_PROBLEMS,
    Conflict("该期间已由此前的认定覆盖 (an earlier grant already covers it)", code="already_covered"),
    Unprocessable("认定日期早于申请日期 (decided before the application)", code="decided_before_applied"),
),
             summary="民政认定：生成因病致贫身份，追溯12个月至认定年度末 (approve: the identity over the grant window)")
async def approve_application(
    principal: Writer, person: ValidPerson, application_id: ApplicationId, data: Approval, session: DbSession,
) -> ApplicationOut:
    return ApplicationOut.model_validate(await approve(session, person, application_id, data, principal),
                                         from_attributes=True)


@router.post("/{application_id}/reject", responses=problem_responses(*_DECISION_PROBLEMS),
             summary="不予认定 (reject, with the reason)")
async def reject_application(
    principal: Writer, person: ValidPerson, application_id: ApplicationId, data: Rejection, session: DbSession,
) -> ApplicationOut:
    return ApplicationOut.model_validate(await reject(session, person, application_id, data, principal),
                                         from_attributes=True)
