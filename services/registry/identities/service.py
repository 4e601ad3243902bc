"""Use cases on identities: plain functions over repositories; no HTTP, no commit. Every change
records a new version (the previous one is superseded, never edited) and an audit entry."""

import uuid
from datetime import UTC, date, datetime
from typing import Any

from services.registry.audit.repository import AuditRepository
from services.registry.identities.models import IdentityRow
from services.registry.identities.repository import IdentityRepository
from services.registry.identities.rules import Window, identity_window
from services.registry.identities.schemas import IdentityCorrection, IdentityCreate
from services.registry.persons.models import PersonRow
from services.registry.persons.repository import PersonRepository
from shared.auth import Principal, Role
from shared.categories import OWNER, Category
from shared.errors import Conflict, Forbidden, NotFound, Unprocessable


def snapshot(row: IdentityRow) -> dict[str, Any]:
    return {
        "identity_id": row.identity_key, "category": row.category, "document_number": row.document_number,
        "approved_on": row.approved_on.isoformat(), "ended_on": row.ended_on.isoformat() if row.ended_on else None,
        "effective_from": row.effective_from.isoformat(),
        "effective_until": row.effective_until.isoformat() if row.effective_until else None,
    }


def ensure_owner(principal: Principal, category: Category) -> None:
    owner = OWNER[category]
    if principal.role is Role.AGENCY and principal.agency != owner.value:
        raise Forbidden(
            f"该类别名单由{owner.value}维护 (this category's list belongs to {owner.value})",
            code="category_not_owned",
        )


def ensure_not_by_application(category: Category) -> None:
    """因病致贫 is granted on application only (004 §三(七)), with its own window: never by a push."""
    if category is Category.ILLNESS_POVERTY:
        raise Unprocessable("因病致贫身份须经申请认定 (illness-caused poverty is granted by application)",
                            code="illness_poverty_by_application")


def window_of(approved_on: date, ended_on: date | None) -> Window:
    try:
        return identity_window(approved_on, ended_on)
    except ValueError as exc:
        raise Unprocessable(
            "终止日期早于认定日期 (ended_on is before approved_on)", code="identity_end_before_start"
        ) from exc


def ensure_no_overlap(window: Window, others: list[IdentityRow], *, except_key: str | None = None) -> None:
    for existing in others:
        if existing.identity_key != except_key and window.overlaps(
            Window(existing.effective_from, existing.effective_until)
        ):
            raise Conflict(
                "同一类别的身份期间重叠 (overlaps an identity of the same category)",
                code="identity_overlaps", extra={"identity_id": existing.identity_key},
            )


async def add_identity(
    identities: IdentityRepository, person: PersonRow, data: IdentityCreate, principal: Principal,
) -> IdentityRow:
    ensure_owner(principal, data.category)
    ensure_not_by_application(data.category)
    window = window_of(data.approved_on, data.ended_on)
    await PersonRepository(identities.session).lock(person)  # two agencies' pushes at once
    ensure_no_overlap(window, await identities.of_person(person.id, data.category.value))
    now = datetime.now(UTC)
    row = await identities.add(IdentityRow(
        identity_key=uuid.uuid4().hex, person_id=person.id, category=data.category.value,
        source_agency=OWNER[data.category].value, document_number=data.document_number,
        approved_on=data.approved_on, ended_on=data.ended_on, effective_from=window.effective_from,
        effective_until=window.effective_until, change="added", created_by=principal.subject, recorded_at=now,
    ))
    AuditRepository(identities.session).record(
        at=now, actor=principal.subject, action="identity_added", person=person, entity="identity",
        entity_key=row.identity_key, before=None, after=snapshot(row),
    )
    return row


async def _revise(
    identities: IdentityRepository, person: PersonRow, identity_key: str, principal: Principal,
    *, change: str, reason: str | None, **fields: Any,
) -> IdentityRow:
    await PersonRepository(identities.session).lock(person)
    current = await identities.current(person.id, identity_key)
    if current is None:
        raise NotFound("未找到该救助身份 (no such identity)", code="identity_not_found")
    ensure_owner(principal, Category(current.category))
    ensure_not_by_application(Category(current.category))
    values = {"document_number": current.document_number, "approved_on": current.approved_on,
              "ended_on": current.ended_on, **fields}
    if change == "ended" and current.ended_on is not None:
        raise Conflict("该身份已终止，如需修改请更正 (already ended: correct it instead)",
                       code="identity_already_ended")
    window = window_of(values["approved_on"], values["ended_on"])
    ensure_no_overlap(window, await identities.of_person(person.id, current.category), except_key=identity_key)
    now = datetime.now(UTC)
    await identities.supersede(current, now)
    row = await identities.add(IdentityRow(
        identity_key=identity_key, person_id=person.id, category=current.category,
        source_agency=current.source_agency, effective_from=window.effective_from,
        effective_until=window.effective_until, change=change, reason=reason, created_by=principal.subject,
        recorded_at=now, **values,
    ))
    AuditRepository(identities.session).record(
        at=now, actor=principal.subject, action=f"identity_{change}", person=person, entity="identity",
        entity_key=identity_key, before=snapshot(current), after=snapshot(row),
    )
    return row


async def end_identity(
    identities: IdentityRepository, person: PersonRow, identity_key: str, ended_on: date, reason: str | None,
    principal: Principal,
) -> IdentityRow:
    return await _revise(identities, person, identity_key, principal, change="ended", reason=reason,
                         ended_on=ended_on)


async def correct_identity(
    identities: IdentityRepository, person: PersonRow, identity_key: str, correction: IdentityCorrection,
    principal: Principal,
) -> IdentityRow:
    fields = correction.model_dump(exclude={"reason"}, exclude_unset=True)
    if not fields:
        raise Unprocessable("更正未改变任何内容 (the correction changes nothing)", code="correction_empty")
    return await _revise(identities, person, identity_key, principal, change="corrected",
                         reason=correction.reason, **fields)
