from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import AwareDatetime

from services.registry.chronic.schemas import FilingOut
from services.registry.dependencies import IdNumberPath, Reader
from services.registry.eligibility.repository import PersonRecords, read_records
from services.registry.eligibility.rules import as_recorded, filings_in_force, identities_in_force, insurance_on
from services.registry.eligibility.schemas import (
    Eligibility,
    EligibilityBatch,
    EligibilityBatchItem,
    EligibilityBatchRequest,
)
from services.registry.identities.schemas import IdentityOut
from services.registry.out_of_region import rules as out_of_region
from services.registry.out_of_region.schemas import FilingInForce
from services.registry.persons.service import person_not_found
from shared import clock
from shared.auth import Principal
from shared.errors import problem_responses
from shared.id_number import mask
from shared.types import BusinessDate

router = APIRouter(tags=["eligibility 资格查询"])
AsRecordedAt = Annotated[AwareDatetime | None, Query(
    description="按该时刻的记录作答，如当时的结算所见 (answer from the records as they stood at that moment)",
)]


def _eligibility(records: PersonRecords, on: date, at: datetime | None, principal: Principal) -> Eligibility:
    person = records.person
    enrolment = insurance_on(records.events, on, at)
    return Eligibility(
        id_number=principal.visible_id_number(person.id_number), on=on, as_recorded_at=at,
        insured=enrolment is not None and enrolment.status == "active",
        insurance_type=enrolment.insurance_type if enrolment else None,
        insurance_status=enrolment.status if enrolment else None,
        region_code=person.region_code,
        identities=[IdentityOut.of(row) for row in identities_in_force(as_recorded(records.identities, at), on)],
        chronic_filings=[FilingOut.model_validate(f, from_attributes=True)
                         for f in filings_in_force(records.filings, on, at)],
        out_of_region_filings=[FilingInForce.model_validate(f, from_attributes=True)
                               for f in out_of_region.filings_in_force(records.out_of_region_filings, on, at)],
    )


@router.get(
    "/v1/persons/{id_number}/eligibility",
    summary="某日的参保与救助资格 (insurance and identities in force on a date)",
    responses=problem_responses(person_not_found()),
)
async def eligibility(
    principal: Reader, id_number: IdNumberPath, request: Request,
    on: Annotated[BusinessDate | None, Query(description="日期，默认今天 (date; default today, Asia/Shanghai)")] = None,
    as_recorded_at: AsRecordedAt = None,
) -> Eligibility:
    records = (await read_records(request.app.state.database, [id_number],
                                  with_superseded=as_recorded_at is not None)).get(id_number)
    if records is None:
        raise person_not_found()
    return _eligibility(records, on or clock.today(), as_recorded_at, principal)


@router.post(
    "/v1/eligibility:batch", summary="批量资格查询，最多1000人 (eligibility of up to 1,000 persons on a date)",
)
async def eligibility_batch(
    principal: Reader, body: EligibilityBatchRequest, request: Request,
) -> EligibilityBatch:
    found = await read_records(request.app.state.database, list(dict.fromkeys(body.id_numbers)),
                               with_superseded=body.as_recorded_at is not None)
    answers = {n: _eligibility(records, body.on, body.as_recorded_at, principal) for n, records in found.items()}
    return EligibilityBatch(items=[
        EligibilityBatchItem(id_number=principal.visible_id_number(n), found=True, eligibility=answers[n])
        if n in found else EligibilityBatchItem(id_number=mask(n), found=False, eligibility=None)
        for n in body.id_numbers
    ])
