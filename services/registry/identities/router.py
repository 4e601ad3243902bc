from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from services.registry.dependencies import Identities, Reader, ValidPerson, Writer
from services.registry.identities.schemas import IdentityCorrection, IdentityCreate, IdentityEnd, IdentityOut
from services.registry.identities.service import add_identity, correct_identity, end_identity
from shared.errors import problem_responses

router = APIRouter(prefix="/v1/persons/{id_number}/identities", tags=["identities 救助身份"])
IdentityKey = Annotated[str, Path(pattern=r"^[0-9a-f]{1,32}$", description="identity_id")]


@router.post(
    "", status_code=status.HTTP_201_CREATED,
    summary="登记救助身份，次月生效 (add an assistance identity; counts from next month)",
    responses=problem_responses(403, 404, 409),
)
async def create_identity(
    principal: Writer, data: IdentityCreate, person: ValidPerson, identities: Identities,
) -> IdentityOut:
    return IdentityOut.of(await add_identity(identities, person, data, principal))


@router.get(
    "", summary="救助身份 (a person's identities; with every past version on request)",
    responses=problem_responses(404),
)
async def list_identities(
    _: Reader, person: ValidPerson, identities: Identities,
    with_superseded: Annotated[bool, Query(description="含已被取代的版本 (include superseded versions)")] = False,
) -> list[IdentityOut]:
    return [IdentityOut.of(row) for row in await identities.of_person(person.id, with_superseded=with_superseded)]


@router.post(
    "/{identity_id}/end", summary="终止救助身份，次月起停止 (end an identity; stops counting from next month)",
    responses=problem_responses(403, 404, 409),
)
async def end(
    principal: Writer, identity_id: IdentityKey, data: IdentityEnd, person: ValidPerson, identities: Identities,
) -> IdentityOut:
    return IdentityOut.of(await end_identity(identities, person, identity_id, data.ended_on, data.reason, principal))


@router.post(
    "/{identity_id}/corrections", summary="更正救助身份（须注明原因） (correct an identity, with a reason)",
    responses=problem_responses(403, 404, 409),
)
async def correct(
    principal: Writer, identity_id: IdentityKey, data: IdentityCorrection, person: ValidPerson,
    identities: Identities,
) -> IdentityOut:
    return IdentityOut.of(await correct_identity(identities, person, identity_id, data, principal))
