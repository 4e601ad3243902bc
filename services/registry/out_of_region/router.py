from typing import Annotated

from fastapi import APIRouter, Path, status

from services.registry.dependencies import FilingClerk, Reader, ValidPerson
from services.registry.out_of_region.repository import OutOfRegionFilingRepository
from services.registry.out_of_region.rules import REFUSALS
from services.registry.out_of_region.schemas import (
    DocumentsReceived,
    FilingEnd,
    OutOfRegionFilingCreate,
    OutOfRegionFilingOut,
)
from services.registry.out_of_region.service import end, file, filing_not_found, receive_documents
from services.registry.persons.service import person_not_found
from shared.db import DbSession
from shared.errors import Conflict, Unprocessable, problem_responses

router = APIRouter(prefix="/v1/persons/{id_number}/out-of-region-filings", tags=["out-of-region 异地就医备案"])
FilingId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
_REFUSALS = {code: Unprocessable(message, code=code) for code, message in REFUSALS.items()}


@router.post("", status_code=status.HTTP_201_CREATED,
             summary="异地就医备案；材料不全时一次性告知所缺材料 (file out-of-region care; an incomplete filing lists "
                     "everything missing and is not in force)",
             responses=problem_responses(
                 person_not_found(), *_REFUSALS.values(),
                 Unprocessable("备案有效期起日未参保 (not insured on the first day covered)",
                               code="person_not_insured"),
             ))
async def create_filing(
    principal: FilingClerk, person: ValidPerson, data: OutOfRegionFilingCreate, session: DbSession,
) -> OutOfRegionFilingOut:
    return OutOfRegionFilingOut.of(await file(session, person, data, principal))


@router.get("", summary="异地就医备案记录 (a person's out-of-region filings)",
            responses=problem_responses(person_not_found()))
async def list_filings(_: Reader, person: ValidPerson, session: DbSession) -> list[OutOfRegionFilingOut]:
    return [OutOfRegionFilingOut.of(r) for r in await OutOfRegionFilingRepository(session).of_person(person.id)]


@router.post("/{filing_id}/documents",
             summary="补交材料；齐全后即生效 (documents supplied later; complete, in force now)",
             responses=problem_responses(person_not_found(), filing_not_found(),
                                         _REFUSALS["document_not_on_checklist"]))
async def add_documents(
    principal: FilingClerk, person: ValidPerson, filing_id: FilingId, data: DocumentsReceived, session: DbSession,
) -> OutOfRegionFilingOut:
    return OutOfRegionFilingOut.of(await receive_documents(session, person, filing_id, data, principal))


@router.post("/{filing_id}/end", summary="终止备案 (end a filing: it covers nothing after last_day)",
             responses=problem_responses(
                 person_not_found(), filing_not_found(),
                 Conflict("该备案已终止 (already ended)", code="filing_ended"),
                 Unprocessable("终止日须在有效期内 (last_day must lie inside the filing's validity)",
                               code="last_day_outside_validity"),
             ))
async def end_filing(
    principal: FilingClerk, person: ValidPerson, filing_id: FilingId, data: FilingEnd, session: DbSession,
) -> OutOfRegionFilingOut:
    return OutOfRegionFilingOut.of(await end(session, person, filing_id, data, principal))
