from fastapi import APIRouter, status

from services.registry.dependencies import Persons, Reader, ValidPerson, Writer
from services.registry.persons.models import PersonRow
from services.registry.persons.schemas import PersonCreate, PersonOut
from services.registry.persons.service import register_person
from shared.auth import Principal, Scope
from shared.errors import problem_responses
from shared.id_number import mask

router = APIRouter(prefix="/v1/persons", tags=["persons 参保人员"])


def person_out(row: PersonRow, principal: Principal) -> PersonOut:
    return PersonOut(
        id_number=row.id_number if principal.has(Scope.PII_READ) else mask(row.id_number),
        name=row.name, gender=row.gender, birth_on=row.birth_on,
        insurance_type=row.insurance_type, region_code=row.region_code, created_at=row.created_at,
    )


@router.post(
    "", status_code=status.HTTP_201_CREATED, summary="登记参保人员 (register an insured person)",
    responses=problem_responses(409),
)
async def create_person(principal: Writer, data: PersonCreate, persons: Persons) -> PersonOut:
    return person_out(await register_person(persons, data), principal)


@router.get(
    "/{id_number}", summary="按身份证号查询参保人员 (a person by ID number)",
    responses=problem_responses(404),
)
async def read_person(principal: Reader, person: ValidPerson) -> PersonOut:
    return person_out(person, principal)
