from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from services.registry.dependencies import Identities, Reader, ValidPerson, Writer
from services.registry.identities.schemas import IdentityCorrection, IdentityCreate, IdentityEnd, IdentityOut
from services.registry.identities.service import add_identity, correct_identity, end_identity
from services.registry.persons.service import person_not_found
from shared.errors import Conflict, Forbidden, NotFound, Unprocessable, problem_responses

router = APIRouter(prefix="/v1/persons/{id_number}/identities", tags=["identities 救助身份"])
IdentityKey = Annotated[str, Path(pattern=r"^[0-9a-f]{1,32}$", description="identity_id")]
_NOT_OWNED = Forbidden("该类别名单由civil_affairs维护 (this category's list belongs to civil_affairs)",
                       code="category_not_owned")
_NO_IDENTITY = NotFound("未找到该救助身份 (no such identity)", code="identity_not_found")
_OVERLAPS = Conflict("同一类别的身份期间重叠 (overlaps an identity of the same category)", code="identity_overlaps",
                     extra={"identity_id": "13678812b059481f93039bdd927d18db"})
_BY_APPLICATION = Unprocessable("因病致贫身份须经申请认定 (illness-caused poverty is granted by application)",
                                code="illness_poverty_by_application")


@router.post(
    "", status_code=status.HTTP_201_CREATED,
    summary="登记救助身份，次月生效 (add an assistance identity; counts from next month)",
    responses=problem_responses(_NOT_OWNED, person_not_found(), _OVERLAPS, _BY_APPLICATION),
)
async def create_identity(
    principal: Writer, data: IdentityCreate, person: ValidPerson, identities: Identities,
) -> IdentityOut:
    return IdentityOut.of(await add_identity(identities, person, data, principal))


@router.get(
    "", summary="救助身份 (a person's identities; with every past version on request)",
    responses=problem_responses(person_not_found()),
)
async def list_identities(
    _: Reader, person: ValidPerson, identities: Identities,
    with_superseded: Annotated[bool, Query(description="含已被取代的版本 (include superseded versions)")] = False,
) -> list[IdentityOut]:
    return [IdentityOut.of(row) for row in await identities.of_person(person.id, with_superseded=with_superseded)]


@router.post(
    "/{identity_id}/end", summary="终止救助身份，次月起停止 (end an identity; stops counting from next month)",
    responses=problem_responses(
        _NOT_OWNED, person_not_found(), _NO_IDENTITY,
        Conflict("该身份已终止，如需修改请更正 (already ended: correct it instead)", code="identity_already_ended"),
    ),
)
async def end(
    principal: Writer, identity_id: IdentityKey, data: IdentityEnd, person: ValidPerson, identities: Identities,
) -> IdentityOut:
    return IdentityOut.of(await end_identity(identities, person, identity_id, data.ended_on, data.reason, principal))


@router.post(
    "/{identity_id}/corrections", summary="更正救助身份（须注明原因） (correct an identity, with a reason)",
    responses=problem_responses(
        _NOT_OWNED, person_not_found(), _NO_IDENTITY, _OVERLAPS,
        Unprocessable("更正未改变任何内容 (the correction changes nothing)", code="correction_empty"),
    ),
)
async def correct(
    principal: Writer, identity_id: IdentityKey, data: IdentityCorrection, person: ValidPerson,
    identities: Identities,
) -> IdentityOut:
    return IdentityOut.of(await correct_identity(identities, person, identity_id, data, principal))
