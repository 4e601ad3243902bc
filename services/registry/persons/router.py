from typing import Annotated

from fastapi import APIRouter, Query, status

from services.registry.dependencies import Enroller, Persons, Reader, ValidPerson, Writer
from services.registry.persons.models import PersonRow
from services.registry.persons.schemas import (
    InsuranceChange,
    InsuranceEventOut,
    PersonCreate,
    PersonName,
    PersonOut,
    PersonPage,
    PersonUpdate,
    RegionCode,
)
from services.registry.persons.service import change_insurance, person_not_found, register_person, update_person
from shared.auth import Principal
from shared.errors import Conflict, Forbidden, Unprocessable, problem_responses
from shared.id_number import IdNumberStr

router = APIRouter(prefix="/v1/persons", tags=["persons 参保人员"])


def person_out(row: PersonRow, principal: Principal) -> PersonOut:
    return PersonOut(
        id_number=principal.visible_id_number(row.id_number),
        name=row.name, gender=row.gender, birth_on=row.birth_on,
        insurance_type=row.insurance_type, region_code=row.region_code, created_at=row.created_at,
    )


@router.post(
    "", status_code=status.HTTP_201_CREATED, summary="登记参保人员 (register an insured person)",
    description="insured_from 仅医保经办（ops）可填；机构令牌填写时 403 enrolment_by_ops_only。",
    responses=problem_responses(
        Forbidden("参保起始日等参保登记信息只能由医保经办录入 (only the insurance office (ops) records enrolment:"
                  " leave out insured_from)", code="enrolment_by_ops_only"),
        Conflict("该身份证号已登记 (a person with this ID number exists)", code="person_exists"),
    ),
)
async def create_person(principal: Writer, data: PersonCreate, persons: Persons) -> PersonOut:
    return person_out(await register_person(persons, data, principal), principal)


@router.get(
    "", summary="查询参保人员：按身份证号，或按区划内姓名 (search by ID number, or by name within a region)",
    responses=problem_responses(Unprocessable(
        "请按身份证号，或按区划加姓名查询 (give id_number, or name and region_code)", code="search_too_broad")),
)
async def search_persons(
    principal: Reader,
    persons: Persons,
    id_number: Annotated[IdNumberStr | None, Query()] = None,
    name: Annotated[PersonName | None, Query()] = None,
    region_code: Annotated[RegionCode | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> PersonPage:
    if id_number is None and (name is None or region_code is None):
        raise Unprocessable("请按身份证号，或按区划加姓名查询 (give id_number, or name and region_code)",
                            code="search_too_broad")
    rows, total = await persons.search(id_number=id_number, name=name, region_code=region_code,
                                       limit=limit, offset=offset)
    return PersonPage(items=[person_out(r, principal) for r in rows], total=total, limit=limit, offset=offset)


@router.get(
    "/{id_number}", summary="按身份证号查询参保人员 (a person by ID number)",
    responses=problem_responses(person_not_found()),
)
async def read_person(principal: Reader, person: ValidPerson) -> PersonOut:
    return person_out(person, principal)


@router.patch(
    "/{id_number}", summary="变更姓名或区划，留存历史 (change name or region; history kept)",
    responses=problem_responses(person_not_found()),
)
async def patch_person(principal: Enroller, data: PersonUpdate, person: ValidPerson, persons: Persons) -> PersonOut:
    await update_person(persons, person, data, principal)
    return person_out(person, principal)


@router.post(
    "/{id_number}/insurance", status_code=status.HTTP_201_CREATED,
    summary="登记参保状态变化 (record an enrolment change: active, suspended, ended)",
    responses=problem_responses(person_not_found()),
)
async def record_insurance(
    principal: Enroller, data: InsuranceChange, person: ValidPerson, persons: Persons,
) -> InsuranceEventOut:
    return InsuranceEventOut.model_validate(await change_insurance(persons, person, data, principal),
                                            from_attributes=True)


@router.get(
    "/{id_number}/insurance", summary="参保状态历史 (enrolment history)",
    responses=problem_responses(person_not_found()),
)
async def insurance_history(_: Reader, person: ValidPerson, persons: Persons) -> list[InsuranceEventOut]:
    events = (await persons.insurance_events([person.id]))[person.id]
    return [InsuranceEventOut.model_validate(e, from_attributes=True) for e in events]
