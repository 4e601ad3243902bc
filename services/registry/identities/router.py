from fastapi import APIRouter, status

from services.registry.dependencies import Identities, Reader, ValidPerson, Writer
from services.registry.identities.schemas import IdentityCreate, IdentityOut
from services.registry.identities.service import add_identity
from shared.errors import problem_responses

router = APIRouter(prefix="/v1/persons/{id_number}/identities", tags=["identities 救助身份"])


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
    "", summary="救助身份历史 (every identity of a person, past and present)",
    responses=problem_responses(404),
)
async def list_identities(_: Reader, person: ValidPerson, identities: Identities) -> list[IdentityOut]:
    return [IdentityOut.of(row) for row in await identities.of_person(person.id)]
