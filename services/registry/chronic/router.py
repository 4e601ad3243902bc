from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, status
from sqlalchemy import select

from services.registry.chronic.models import ChronicFilingRow
from services.registry.chronic.rules import DiseaseList, review_due_on
from services.registry.chronic.schemas import (
    DiseaseOut,
    FilingCreate,
    FilingDecision,
    FilingEnd,
    FilingOut,
    ReviewOverdue,
)
from services.registry.chronic.service import (
    end,
    file,
    filing_ended,
    filing_not_in_force,
    last_day_too_early,
    review,
    reviews_overdue,
)
from services.registry.dependencies import FilingClerk, Reader, ValidPerson
from services.registry.persons.service import person_not_found
from shared.categories import InsuranceType
from shared.clock import today
from shared.db import DbSession
from shared.errors import Conflict, NotFound, Unprocessable, problem_responses
from shared.http_client import ServiceClient

router = APIRouter(tags=["chronic 门诊慢特病"])
FilingId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
_REVIEW_PROBLEMS = (
    person_not_found(),
    NotFound("无此备案 (no such filing)", code="filing_not_found"),
    Conflict("该备案无需审核 (not pending review)", code="filing_not_pending"),
)


async def _diseases(request: Request) -> DiseaseList:
    return request.app.state.chronic_diseases


async def _catalog(request: Request) -> ServiceClient:
    return request.app.state.catalog


Diseases = Annotated[DiseaseList, Depends(_diseases)]
Catalog = Annotated[ServiceClient, Depends(_catalog)]


def _filing(row: ChronicFilingRow) -> FilingOut:
    """A filing as answered here, with the review's deadline while it awaits one."""
    due = review_due_on(row.disease_class, row.filed_on) if row.status == "pending" else None
    return FilingOut.model_validate(row, from_attributes=True).model_copy(update={"review_due_on": due})


@router.get("/v1/chronic-diseases", summary="门诊慢特病病种目录 (the disease list, per insurance type)")
async def list_diseases(
    _: Reader, diseases: Diseases, insurance_type: Annotated[InsuranceType, Query()],
) -> list[DiseaseOut]:
    return [DiseaseOut(code=d.code, name=d.name, disease_class=d.disease_class, quarterly_review=d.quarterly_review)
            for d in diseases.for_insurance(insurance_type)]


@router.post("/v1/persons/{id_number}/chronic-filings", status_code=status.HTTP_201_CREATED,
             summary="门诊慢特病备案，次日起享受待遇 (file a chronic disease; benefits from the next day)",
             responses=problem_responses(
                 person_not_found(),
                 Conflict("该病种已备案 (already filed)", code="filing_exists",
                          extra={"filing_id": "5d0c0f0a4f3b4a4e9a1c2b3d4e5f6a7b"}),
                 Unprocessable("备案日期未参保 (not insured on the filing date)", code="person_not_insured"),
                 Unprocessable("该医疗机构在当日不是一站式结算定点 (not designated on that date)",
                               code="hospital_not_designated"),
                 503,
             ))
async def create_filing(
    principal: FilingClerk, person: ValidPerson, data: FilingCreate, session: DbSession, diseases: Diseases,
    catalog: Catalog,
) -> FilingOut:
    return _filing(await file(session, person, data, principal, diseases, catalog))


@router.get("/v1/persons/{id_number}/chronic-filings", summary="门诊慢特病备案记录 (a person's filings)",
            responses=problem_responses(person_not_found()))
async def list_filings(_: Reader, person: ValidPerson, session: DbSession) -> list[FilingOut]:
    rows = await session.scalars(select(ChronicFilingRow).where(ChronicFilingRow.person_id == person.id)
                                 .order_by(ChronicFilingRow.filed_on))
    return [_filing(r) for r in rows]


@router.post("/v1/persons/{id_number}/chronic-filings/{filing_id}/approve",
             responses=problem_responses(*_REVIEW_PROBLEMS),
             summary="季度审核通过 (approve after the quarterly review)")
async def approve_filing(
    principal: FilingClerk, person: ValidPerson, filing_id: FilingId, data: FilingDecision, session: DbSession,
) -> FilingOut:
    return _filing(await review(session, person, filing_id, True, data, principal))


@router.post("/v1/persons/{id_number}/chronic-filings/{filing_id}/reject",
             responses=problem_responses(*_REVIEW_PROBLEMS),
             summary="季度审核未通过 (reject after the quarterly review)")
async def reject_filing(
    principal: FilingClerk, person: ValidPerson, filing_id: FilingId, data: FilingDecision, session: DbSession,
) -> FilingOut:
    return _filing(await review(session, person, filing_id, False, data, principal))


@router.post("/v1/persons/{id_number}/chronic-filings/{filing_id}/end",
             responses=problem_responses(
                 person_not_found(), NotFound("无此备案 (no such filing)", code="filing_not_found"),
                 filing_ended(), filing_not_in_force(), last_day_too_early(),
             ),
             summary="终止门诊慢特病备案：撤销、到期或转出 (end a filing: revoked, expired, moved away)",
             description="last_day 之后不再享受待遇，此前的结算不受影响；终止后可重新备案。"
             " No benefits after last_day (care up to it still settles); the disease may be filed again.")
async def end_filing(
    principal: FilingClerk, person: ValidPerson, filing_id: FilingId, data: FilingEnd, session: DbSession,
) -> FilingOut:
    return _filing(await end(session, person, filing_id, data, principal))


@router.get("/v1/chronic-filings/overdue-reviews",
            summary="超过20个工作日未审核的甲类备案 (class A filings past their 20-working-day review deadline)",
            description="待审核且 review_due_on 早于今天的甲类备案，按备案日期排序，最多500条；"
            "节假日安排尚未公布的年份无法确定期限，不列出。"
            " Pending class A filings whose review_due_on is before today, oldest first (at most 500); a deadline"
            " in a year the holiday calendar does not cover yet is unknown and not listed.")
async def overdue_reviews(principal: Reader, session: DbSession) -> list[ReviewOverdue]:
    return [ReviewOverdue.model_construct(  # fields already validated as FilingOut
        **_filing(row).model_dump(), id_number=principal.visible_id_number(id_number))
        for row, id_number in await reviews_overdue(session, today())]
