from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from services.registry.chronic.schemas import FilingOut
from services.registry.dependencies import IdNumberPath, Reader
from services.registry.eligibility.repository import EligibilityRecords
from services.registry.eligibility.rules import as_recorded, filings_in_force, identities_in_force, insurance_on
from services.registry.eligibility.schemas import (
    Eligibility,
    EligibilityBatch,
    EligibilityBatchItem,
    EligibilityBatchRequest,
)
from services.registry.identities.schemas import IdentityOut
from services.registry.persons.service import person_not_found
from shared import clock
from shared.auth import Principal
from shared.db import ReadConnection
from shared.errors import problem_responses
from shared.id_number import mask
from shared.types import BusinessDate

router = APIRouter(tags=["eligibility 资格查询"])
AsRecordedAt = Annotated[AwareDatetime | None, Query(
    description="按该时刻的记录作答，如当时的结算所见 (answer from the records as they stood at that moment)",
)]


async def _eligibilities(
    records: EligibilityRecords, people: list[Any], on: date, at: datetime | None, principal: Principal,
) -> dict[int, Eligibility]:
    ids = [p.id for p in people]
    events = await records.events(ids)
    versions = await records.identities(ids, with_superseded=at is not None)
    filings = await records.filings(ids)
    answers = {}
    for person in people:
        enrolment = insurance_on(events[person.id], on, at)
        answers[person.id] = Eligibility(
            id_number=principal.visible_id_number(person.id_number), on=on, as_recorded_at=at,
            insured=enrolment is not None and enrolment.status == "active",
            insurance_type=enrolment.insurance_type if enrolment else None,
            insurance_status=enrolment.status if enrolment else None,
            region_code=person.region_code,
            identities=[IdentityOut.of(row) for row in identities_in_force(as_recorded(versions[person.id], at), on)],
            chronic_filings=[FilingOut.model_validate(f, from_attributes=True)
                             for f in filings_in_force(filings[person.id], on, at)],
        )
    return answers


@router.get(
    "/v1/persons/{id_number}/eligibility",
    summary="某日的参保与救助资格 (insurance and identities in force on a date)",
    responses=problem_responses(404),
)
async def eligibility(
    principal: Reader, id_number: IdNumberPath, connection: ReadConnection,
    on: Annotated[BusinessDate | None, Query(description="日期，默认今天 (date; default today, Asia/Shanghai)")] = None,
    as_recorded_at: AsRecordedAt = None,
) -> Eligibility:
    records = EligibilityRecords(connection)
    person = (await records.persons([id_number])).get(id_number)
    if person is None:
        raise person_not_found()
    return (await _eligibilities(records, [person], on or clock.today(), as_recorded_at, principal))[person.id]


@router.post(
    "/v1/eligibility:batch", summary="批量资格查询，最多1000人 (eligibility of up to 1,000 persons on a date)",
)
async def eligibility_batch(
    principal: Reader, body: EligibilityBatchRequest, connection: ReadConnection,
) -> EligibilityBatch:
    records = EligibilityRecords(connection)
    found = await records.persons(list(dict.fromkeys(body.id_numbers)))
    answers = await _eligibilities(records, list(found.values()), body.on, body.as_recorded_at, principal)
    return EligibilityBatch(items=[
        EligibilityBatchItem(id_number=principal.visible_id_number(n), found=True,
                             eligibility=answers[found[n].id])
        if n in found else EligibilityBatchItem(id_number=mask(n), found=False, eligibility=None)
        for n in body.id_numbers
    ])
