from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from services.registry.chronic.models import ChronicFilingRow
from services.registry.chronic.schemas import FilingOut
from services.registry.dependencies import Identities, Persons, Reader, ValidPerson
from services.registry.eligibility.rules import as_recorded, filings_in_force, identities_in_force, insurance_on
from services.registry.eligibility.schemas import (
    Eligibility,
    EligibilityBatch,
    EligibilityBatchItem,
    EligibilityBatchRequest,
)
from services.registry.identities.models import IdentityRow
from services.registry.identities.repository import IdentityRepository
from services.registry.identities.schemas import IdentityOut
from services.registry.persons.models import PersonRow
from services.registry.persons.repository import PersonRepository
from services.registry.persons.router import person_out
from shared import clock
from shared.auth import Principal
from shared.errors import problem_responses
from shared.id_number import mask
from shared.types import BusinessDate

router = APIRouter(tags=["eligibility 资格查询"])
AsRecordedAt = Annotated[datetime | None, Query(
    description="按该时刻的记录作答，如当时的结算所见 (answer from the records as they stood at that moment)",
)]


async def _eligibilities(
    persons: PersonRepository, identities: IdentityRepository, people: list[PersonRow], on: date,
    at: datetime | None, principal: Principal,
) -> dict[int, Eligibility]:
    ids = [p.id for p in people]
    events = await persons.insurance_events(ids)
    versions = await identities.of_persons(ids, with_superseded=at is not None)
    filings: dict[int, list[ChronicFilingRow]] = {pid: [] for pid in ids}
    for row in await persons.session.scalars(select(ChronicFilingRow).where(ChronicFilingRow.person_id.in_(ids))):
        filings[row.person_id].append(row)
    answers = {}
    for person in people:
        enrolment = insurance_on(events[person.id], on, at)
        in_force: list[IdentityRow] = identities_in_force(as_recorded(versions[person.id], at), on)
        answers[person.id] = Eligibility(
            id_number=person_out(person, principal).id_number, on=on, as_recorded_at=at,
            insured=enrolment is not None and enrolment.status == "active",
            insurance_type=enrolment.insurance_type if enrolment else None,
            insurance_status=enrolment.status if enrolment else None,
            region_code=person.region_code, identities=[IdentityOut.of(row) for row in in_force],
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
    principal: Reader, person: ValidPerson, persons: Persons, identities: Identities,
    on: Annotated[BusinessDate | None, Query(description="日期，默认今天 (date; default today, Asia/Shanghai)")] = None,
    as_recorded_at: AsRecordedAt = None,
) -> Eligibility:
    return (await _eligibilities(persons, identities, [person], on or clock.today(), as_recorded_at, principal))[
        person.id]


@router.post(
    "/v1/eligibility:batch", summary="批量资格查询，最多1000人 (eligibility of up to 1,000 persons on a date)",
)
async def eligibility_batch(
    principal: Reader, body: EligibilityBatchRequest, persons: Persons, identities: Identities,
) -> EligibilityBatch:
    found = await persons.by_id_numbers(list(dict.fromkeys(body.id_numbers)))
    answers = await _eligibilities(persons, identities, list(found.values()), body.on, body.as_recorded_at, principal)
    return EligibilityBatch(items=[
        EligibilityBatchItem(id_number=person_out(found[n], principal).id_number, found=True,
                             eligibility=answers[found[n].id])
        if n in found else EligibilityBatchItem(id_number=mask(n), found=False, eligibility=None)
        for n in body.id_numbers
    ])
