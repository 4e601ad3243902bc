"""Chronic/special disease filings: no HTTP of its own (the catalog is asked through its client),
no commit."""

import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.audit.repository import AuditRepository
from services.registry.chronic.models import ChronicFilingRow
from services.registry.chronic.rules import (
    REVIEW_WORKING_DAYS,
    DiseaseList,
    benefits_start,
    decide,
    last_day_allowed,
    review_overdue,
)
from services.registry.chronic.schemas import FilingCreate, FilingDecision, FilingEnd
from services.registry.eligibility.rules import insurance_on
from services.registry.persons.models import PersonRow
from services.registry.persons.repository import PersonRepository
from shared.auth import Principal
from shared.categories import InsuranceType
from shared.contracts.hospitals import ensure_designated, fetch_hospital
from shared.errors import Conflict, NotFound, Unprocessable
from shared.http_client import ServiceClient

OVERDUE_LIMIT = 500


def _snapshot(row: ChronicFilingRow) -> dict[str, object]:
    return {"disease_code": row.disease_code, "disease_name": row.disease_name, "hospital_code": row.hospital_code,
            "filed_on": row.filed_on.isoformat(), "status": row.status,
            "effective_from": row.effective_from.isoformat() if row.effective_from else None,
            "last_day": row.last_day.isoformat() if row.last_day else None, "end_reason": row.end_reason}


async def file(
    session: AsyncSession, person: PersonRow, data: FilingCreate, principal: Principal, diseases: DiseaseList,
    catalog: ServiceClient,
) -> ChronicFilingRow:
    disease = diseases.by_code.get(data.disease_code)
    if disease is None:
        raise Unprocessable(f"无此病种 {data.disease_code} (no such disease)", code="disease_unknown")
    if disease.quarterly_review and data.disease_name is None:
        raise Unprocessable("“其他”病种须写明病名 (disease_name required)", code="disease_name_required")
    persons = PersonRepository(session)
    await persons.lock(person)
    enrolment = insurance_on((await persons.insurance_events([person.id]))[person.id], data.filed_on)
    if enrolment is None or enrolment.status != "active":
        raise Unprocessable("备案日期未参保 (not insured on the filing date)", code="person_not_insured")
    if InsuranceType(enrolment.insurance_type) not in disease.insurance_types:
        raise Unprocessable(f"{disease.name}不在{enrolment.insurance_type}门诊慢特病目录 (not for this insurance)",
                            code="disease_not_for_insurance")
    ensure_designated(await fetch_hospital(catalog, data.hospital_code, data.filed_on))
    existing = await session.scalar(select(ChronicFilingRow).where(
        ChronicFilingRow.person_id == person.id, ChronicFilingRow.disease_code == data.disease_code,
        ChronicFilingRow.status != "rejected", ChronicFilingRow.last_day.is_(None)))
    if existing is not None and not disease.quarterly_review:
        raise Conflict("该病种已备案 (already filed)", code="filing_exists", extra={"filing_id": existing.id})
    decision = decide(disease, data.filed_on)
    row = ChronicFilingRow(
        id=uuid.uuid4().hex, person_id=person.id, disease_code=disease.code,
        disease_name=data.disease_name or disease.name, disease_class=disease.disease_class,
        hospital_code=data.hospital_code, filed_on=data.filed_on, status=decision.status,
        effective_from=decision.effective_from, created_by=principal.subject, created_at=datetime.now(UTC),
    )
    session.add(row)
    await session.flush()
    AuditRepository(session).record(at=row.created_at, actor=principal.subject, action="chronic_filed",
                                    person=person, entity="chronic_filing", entity_key=row.id, before=None,
                                    after=_snapshot(row))
    return row


async def _locked_filing(session: AsyncSession, person: PersonRow, filing_id: str) -> ChronicFilingRow:
    await PersonRepository(session).lock(person)
    row = await session.scalar(select(ChronicFilingRow).where(
        ChronicFilingRow.id == filing_id, ChronicFilingRow.person_id == person.id))
    if row is None:
        raise NotFound("无此备案 (no such filing)", code="filing_not_found")
    return row


def filing_not_in_force() -> Conflict:
    return Conflict("只有生效的备案可以终止（待审核的请审核不通过）"
                    " (only a filing in force ends; reject a pending one)", code="filing_not_in_force")


def filing_ended() -> Conflict:
    return Conflict("该备案已终止 (already ended)", code="filing_ended")


def last_day_too_early() -> Unprocessable:
    return Unprocessable("最后享受待遇日早于待遇起始日前一天 (last_day is before the day before benefits began)",
                         code="last_day_before_benefits")


async def end(
    session: AsyncSession, person: PersonRow, filing_id: str, data: FilingEnd, principal: Principal,
) -> ChronicFilingRow:
    """The filing gives no benefits after `last_day` (revoked, expired, the person moved away)."""
    row = await _locked_filing(session, person, filing_id)
    if row.last_day is not None:
        raise filing_ended()
    if row.status != "in_force":
        raise filing_not_in_force()
    if not last_day_allowed(row.filed_on, row.effective_from, data.last_day):
        raise last_day_too_early()
    before = _snapshot(row)
    now = datetime.now(UTC)
    row.last_day, row.ended_at, row.ended_by = data.last_day, now, principal.subject
    row.end_reason, row.end_note = data.reason, data.note
    await session.flush()
    AuditRepository(session).record(at=now, actor=principal.subject, action="chronic_ended", person=person,
                                    entity="chronic_filing", entity_key=row.id, before=before, after=_snapshot(row))
    return row


async def reviews_overdue(session: AsyncSession, today: date) -> list[tuple[ChronicFilingRow, str]]:
    """Class A filings still pending past their review deadline, with the person's ID number, oldest
    first. A deadline is never earlier than 20 calendar days after filing, which narrows the read."""
    rows = await session.execute(
        select(ChronicFilingRow, PersonRow.id_number).join(PersonRow, PersonRow.id == ChronicFilingRow.person_id)
        .where(ChronicFilingRow.status == "pending", ChronicFilingRow.disease_class == "A",
               ChronicFilingRow.filed_on < today - timedelta(days=REVIEW_WORKING_DAYS))
        .order_by(ChronicFilingRow.filed_on, ChronicFilingRow.id).limit(OVERDUE_LIMIT))
    return [(row, id_number) for row, id_number in rows.tuples()
            if review_overdue(row.disease_class, row.filed_on, today)]


async def review(
    session: AsyncSession, person: PersonRow, filing_id: str, approved: bool, data: FilingDecision,
    principal: Principal,
) -> ChronicFilingRow:
    row = await _locked_filing(session, person, filing_id)
    if row.status != "pending":
        raise Conflict("该备案无需审核 (not pending review)", code="filing_not_pending")
    before = _snapshot(row)
    row.status = "in_force" if approved else "rejected"
    row.effective_from = benefits_start(row.filed_on) if approved else None
    row.decided_by, row.decision_reason, row.decided_at = principal.subject, data.reason, datetime.now(UTC)
    await session.flush()
    AuditRepository(session).record(at=datetime.now(UTC), actor=principal.subject,
                                    action="chronic_approved" if approved else "chronic_rejected",
                                    person=person, entity="chronic_filing", entity_key=row.id,
                                    before=before, after=_snapshot(row))
    return row
