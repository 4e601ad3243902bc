from typing import Annotated

from fastapi import APIRouter, Path, status

from services.registry.dependencies import FilingClerk, Reader, ValidPerson
from services.registry.out_of_region.repository import OutOfRegionFilingRepository
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
_REFUSALS = (
    Unprocessable("就医地在参保地统筹区内，无需异地备案 (the destination is inside the person's own region: no "
                  "filing needed)", code="destination_inside_region"),
    Unprocessable("异地急诊转住院联网备案无需此材料 (not on this kind's checklist): posting_proof",
                  code="document_not_on_checklist"),
    Unprocessable("异地转诊人员备案不适用个人承诺制 (no personal commitment for this kind)",
                  code="commitment_not_allowed"),
    Unprocessable("转诊、急诊备案须写明医院，异地居住类备案不写 (hospital_code: required for referral and emergency, "
                  "not allowed for the residence kinds)", code="hospital_code_for_kind"),
    Unprocessable("备案不能追溯到备案日之前（急诊除外） (only an emergency filing may start before it is filed)",
                  code="filing_backdated"),
    Unprocessable("急诊备案在急诊之后办理 (an emergency is filed after the emergency admission)",
                  code="emergency_filed_before_admission"),
    Unprocessable("有效期止早于起始 (valid_until before valid_from)", code="invalid_validity"),
)


@router.post("", status_code=status.HTTP_201_CREATED,
             summary="异地就医备案；材料不全时一次性告知所缺材料 (file out-of-region care; an incomplete filing lists "
                     "everything missing and is not in force)",
             responses=problem_responses(
                 person_not_found(), *_REFUSALS,
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
             responses=problem_responses(person_not_found(), filing_not_found(), *_REFUSALS[1:2]))
async def add_documents(
    principal: FilingClerk, person: ValidPerson, filing_id: FilingId, data: DocumentsReceived, session: DbSession,
) -> OutOfRegionFilingOut:
    return OutOfRegionFilingOut.of(await receive_documents(session, person, filing_id, data, principal))


@router.post("/{filing_id}/end", summary="终止备案 (end a filing: it covers nothing after last_day)",
             responses=problem_responses(
                 person_not_found(), filing_not_found(),
                 Conflict("该备案已终止 (already ended)", code="filing_ended"),
                 Unprocessable("终止日须在有效期内 (last_day must lie inside the filing's validity)",
                               code="invalid_validity"),
             ))
async def end_filing(
    principal: FilingClerk, person: ValidPerson, filing_id: FilingId, data: FilingEnd, session: DbSession,
) -> OutOfRegionFilingOut:
    return OutOfRegionFilingOut.of(await end(session, person, filing_id, data, principal))
