"""Use cases on identities: plain functions over repositories; no HTTP, no commit."""

from services.registry.identities.models import IdentityRow
from services.registry.identities.repository import IdentityRepository
from services.registry.identities.rules import Window, identity_window
from services.registry.identities.schemas import IdentityCreate
from services.registry.persons.models import PersonRow
from services.registry.persons.repository import PersonRepository
from shared.auth import Principal, Role
from shared.categories import OWNER
from shared.errors import Conflict, Forbidden, Unprocessable


async def add_identity(
    identities: IdentityRepository, person: PersonRow, data: IdentityCreate, principal: Principal,
) -> IdentityRow:
    owner = OWNER[data.category]
    if principal.role is Role.AGENCY and principal.agency != owner.value:
        raise Forbidden(
            f"该类别名单由{owner.value}维护 (this category's list belongs to {owner.value})",
            code="category_not_owned",
        )
    try:
        window = identity_window(data.approved_on, data.ended_on)
    except ValueError as exc:
        raise Unprocessable(
            "终止日期早于认定日期 (ended_on is before approved_on)", code="identity_end_before_start"
        ) from exc
    await PersonRepository(identities.session).lock(person)  # two agencies' pushes at once
    for existing in await identities.of_person(person.id, data.category.value):
        if window.overlaps(Window(existing.effective_from, existing.effective_until)):
            raise Conflict(
                "同一类别的身份期间重叠 (overlaps an identity of the same category)",
                code="identity_overlaps", extra={"identity_id": existing.id},
            )
    return await identities.add(IdentityRow(
        person_id=person.id, category=data.category.value, source_agency=owner.value,
        document_number=data.document_number, approved_on=data.approved_on, ended_on=data.ended_on,
        effective_from=window.effective_from, effective_until=window.effective_until,
        created_by=principal.subject,
    ))
