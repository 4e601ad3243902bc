from typing import Annotated

from fastapi import APIRouter, Query

from services.registry.dependencies import Identities, Reader, ValidPerson
from services.registry.eligibility.rules import identities_in_force
from services.registry.eligibility.schemas import Eligibility
from services.registry.identities.schemas import IdentityOut
from services.registry.persons.router import person_out
from shared import clock
from shared.errors import problem_responses
from shared.types import BusinessDate

router = APIRouter(prefix="/v1/persons/{id_number}/eligibility", tags=["eligibility 资格查询"])


@router.get(
    "", summary="某日的参保与救助资格 (insurance and identities in force on a date)",
    responses=problem_responses(404),
)
async def eligibility(
    principal: Reader,
    person: ValidPerson,
    identities: Identities,
    on: Annotated[BusinessDate | None, Query(description="日期，默认今天 (date; default today, Asia/Shanghai)")] = None,
) -> Eligibility:
    day = on or clock.today()
    in_force = identities_in_force(await identities.of_person(person.id), day)
    return Eligibility(
        id_number=person_out(person, principal).id_number, on=day, insured=True,
        insurance_type=person.insurance_type, region_code=person.region_code,
        identities=[IdentityOut.of(row) for row in in_force],
    )
