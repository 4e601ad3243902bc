"""Use cases on persons: plain functions over a repository; no HTTP, no commit."""

from sqlalchemy.exc import IntegrityError

from services.registry.persons.models import PersonRow
from services.registry.persons.repository import PersonRepository
from services.registry.persons.schemas import PersonCreate
from shared.errors import Conflict, NotFound
from shared.id_number import parse


async def register_person(persons: PersonRepository, data: PersonCreate) -> PersonRow:
    if await persons.by_id_number(data.id_number) is not None:
        raise Conflict("该身份证号已登记 (a person with this ID number exists)", code="person_exists")
    id_number = parse(data.id_number)
    row = PersonRow(
        id_number=id_number.value, name=data.name, gender=id_number.gender,
        birth_on=id_number.birth_date, insurance_type=data.insurance_type.value,
        region_code=data.region_code,
    )
    try:
        async with persons.session.begin_nested():
            return await persons.add(row)
    except IntegrityError as exc:  # a concurrent registration of the same number won
        raise Conflict("该身份证号已登记 (a person with this ID number exists)", code="person_exists") from exc


async def get_person(persons: PersonRepository, id_number: str) -> PersonRow:
    person = await persons.by_id_number(id_number)
    if person is None:
        raise NotFound("未找到该参保人员 (no such insured person)", code="person_not_found")
    return person
