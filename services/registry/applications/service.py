"""Illness-caused poverty by application (004 §三(七)): submitted to civil affairs, approved or
rejected by it; approval creates the identity over the grant window. No HTTP, no commit."""

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.applications.models import IllnessPovertyApplicationRow
from services.registry.applications.rules import grant_window
from services.registry.applications.schemas import ApplicationCreate, Approval, Rejection
from services.registry.audit.repository import AuditRepository
from services.registry.identities.models import IdentityRow
from services.registry.identities.repository import IdentityRepository
from services.registry.identities.service import ensure_owner, snapshot
from services.registry.persons.models import PersonRow
from services.registry.persons.repository import PersonRepository
from shared.auth import Principal
from shared.categories import OWNER, Category
from shared.errors import Conflict, NotFound, Unprocessable

CATEGORY = Category.ILLNESS_POVERTY


def _record(session: AsyncSession, row: IllnessPovertyApplicationRow, person: PersonRow, action: str,
            principal: Principal, before: dict[str, object] | None) -> None:
    AuditRepository(session).record(
        at=datetime.now(UTC), actor=principal.subject, action=action, person=person,
        entity="illness_poverty_application", entity_key=row.id, before=before,
        after={"status": row.status, "applied_on": row.applied_on.isoformat(),
               "decision_reason": row.decision_reason, "identity_id": row.identity_key},
    )


async def submit(
    session: AsyncSession, person: PersonRow, data: ApplicationCreate, principal: Principal,
) -> IllnessPovertyApplicationRow:
    ensure_owner(principal, CATEGORY)
    row = IllnessPovertyApplicationRow(
        id=uuid.uuid4().hex, person_id=person.id, year=data.applied_on.year, applied_on=data.applied_on,
        status="submitted", created_by=principal.subject, created_at=datetime.now(UTC),
    )
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"{data.applied_on.year}年已申请过因病致贫认定，一个年度内不得重复申请 (one application a year)",
                       code="application_exists_this_year") from exc
    _record(session, row, person, "application_submitted", principal, None)
    return row


async def _submitted(
    session: AsyncSession, person: PersonRow, application_id: str, principal: Principal,
) -> IllnessPovertyApplicationRow:
    ensure_owner(principal, CATEGORY)
    await PersonRepository(session).lock(person)
    row = await session.scalar(select(IllnessPovertyApplicationRow).where(
        IllnessPovertyApplicationRow.id == application_id, IllnessPovertyApplicationRow.person_id == person.id))
    if row is None:
        raise NotFound("无此申请 (no such application)", code="application_not_found")
    if row.status != "submitted":
        raise Conflict(f"申请已{row.status}，不能再处理 (already decided)", code="application_decided")
    return row


async def approve(
    session: AsyncSession, person: PersonRow, application_id: str, data: Approval, principal: Principal,
) -> IllnessPovertyApplicationRow:
    row = await _submitted(session, person, application_id, principal)
    if data.decided_on < row.applied_on:
        raise Unprocessable("认定日期早于申请日期 (decided before the application)", code="decided_before_applied")
    earlier = await IdentityRepository(session).of_person(person.id, CATEGORY.value)
    previous_until = max((i.effective_until for i in earlier if i.effective_until), default=None)
    window = grant_window(row.applied_on, data.decided_on, previous_until)
    if window.empty:
        raise Conflict("该期间已由此前的认定覆盖 (an earlier grant already covers it)", code="already_covered")
    now = datetime.now(UTC)
    identity = await IdentityRepository(session).add(IdentityRow(
        identity_key=uuid.uuid4().hex, person_id=person.id, category=CATEGORY.value,
        source_agency=OWNER[CATEGORY].value, document_number=data.document_number, approved_on=data.decided_on,
        ended_on=None, effective_from=window.effective_from, effective_until=window.effective_until,
        change="added", reason=f"因病致贫申请 {row.id}", created_by=principal.subject, recorded_at=now,
    ))
    before = {"status": row.status}
    row.status, row.decided_on, row.decided_by = "approved", data.decided_on, principal.subject
    row.document_number, row.identity_key = data.document_number, identity.identity_key
    await session.flush()
    AuditRepository(session).record(
        at=now, actor=principal.subject, action="identity_added", person=person, entity="identity",
        entity_key=identity.identity_key, before=None, after=snapshot(identity),
    )
    _record(session, row, person, "application_approved", principal, before)
    return row


async def reject(
    session: AsyncSession, person: PersonRow, application_id: str, data: Rejection, principal: Principal,
) -> IllnessPovertyApplicationRow:
    row = await _submitted(session, person, application_id, principal)
    row.status, row.decided_on, row.decided_by, row.decision_reason = (
        "rejected", data.decided_on, principal.subject, data.reason)
    await session.flush()
    _record(session, row, person, "application_rejected", principal, {"status": "submitted"})
    return row
