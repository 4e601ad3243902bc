"""Out-of-region care filings: no HTTP, no commit (the request session commits)."""

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.audit.repository import AuditRepository
from services.registry.eligibility.rules import insurance_on
from services.registry.out_of_region.models import OutOfRegionFilingRow
from services.registry.out_of_region.repository import OutOfRegionFilingRepository
from services.registry.out_of_region.rules import FilingKind, FilingRefused, FilingTerms, check, comes_into_force
from services.registry.out_of_region.schemas import DocumentsReceived, FilingEnd, OutOfRegionFilingCreate
from services.registry.persons.models import PersonRow
from services.registry.persons.repository import PersonRepository
from shared.auth import Principal
from shared.errors import Conflict, NotFound, Unprocessable

ENTITY = "out_of_region_filing"


def filing_not_found() -> NotFound:
    return NotFound("无此异地就医备案 (no such out-of-region filing)", code="filing_not_found")


def _terms(row: OutOfRegionFilingRow) -> FilingTerms:
    return FilingTerms(
        kind=FilingKind(row.kind), destination_region_code=row.destination_region_code, filed_on=row.filed_on,
        valid_from=row.valid_from, valid_until=row.valid_until, hospital_code=row.hospital_code,
        documents_received=frozenset(row.documents_received), personal_commitment=row.personal_commitment,
    )


def _snapshot(row: OutOfRegionFilingRow) -> dict[str, object]:
    return {"kind": row.kind, "destination_region_code": row.destination_region_code,
            "hospital_code": row.hospital_code, "filed_on": row.filed_on.isoformat(),
            "valid_from": row.valid_from.isoformat(),
            "valid_until": row.valid_until.isoformat() if row.valid_until else None,
            "documents_received": sorted(row.documents_received), "personal_commitment": row.personal_commitment,
            "in_force": row.in_force_since is not None,
            "last_day": row.last_day.isoformat() if row.last_day else None}


def _checked(terms: FilingTerms, person: PersonRow) -> None:
    try:
        check(terms, person.region_code)
    except FilingRefused as exc:
        raise Unprocessable(str(exc), code=exc.code) from exc


async def file(
    session: AsyncSession, person: PersonRow, data: OutOfRegionFilingCreate, principal: Principal,
) -> OutOfRegionFilingRow:
    terms = FilingTerms(
        kind=data.kind, destination_region_code=data.destination_region_code, filed_on=data.filed_on,
        valid_from=data.valid_from or data.filed_on, valid_until=data.valid_until, hospital_code=data.hospital_code,
        documents_received=frozenset(data.documents_received), personal_commitment=data.personal_commitment,
    )
    _checked(terms, person)
    persons = PersonRepository(session)
    await persons.lock(person)
    enrolment = insurance_on((await persons.insurance_events([person.id]))[person.id], terms.valid_from)
    if enrolment is None or enrolment.status != "active":
        raise Unprocessable("备案有效期起日未参保 (not insured on the first day covered)", code="person_not_insured")
    now = datetime.now(UTC)
    row = await OutOfRegionFilingRepository(session).add(OutOfRegionFilingRow(
        id=uuid.uuid4().hex, person_id=person.id, kind=terms.kind.value,
        destination_region_code=terms.destination_region_code, hospital_code=terms.hospital_code,
        filed_on=terms.filed_on, valid_from=terms.valid_from, valid_until=terms.valid_until,
        documents_received=sorted(terms.documents_received), personal_commitment=terms.personal_commitment,
        in_force_since=now if comes_into_force(terms) else None, created_by=principal.subject, created_at=now,
    ))
    AuditRepository(session).record(at=now, actor=principal.subject, action="out_of_region_filed",
                                    person=person, entity=ENTITY, entity_key=row.id, before=None,
                                    after=_snapshot(row))
    return row


async def _locked_filing(session: AsyncSession, person: PersonRow, filing_id: str) -> OutOfRegionFilingRow:
    await PersonRepository(session).lock(person)
    row = await OutOfRegionFilingRepository(session).get(person.id, filing_id)
    if row is None:
        raise filing_not_found()
    return row


async def receive_documents(
    session: AsyncSession, person: PersonRow, filing_id: str, data: DocumentsReceived, principal: Principal,
) -> OutOfRegionFilingRow:
    """事后补充相关资料: the documents supplied later; complete, the filing comes into force now."""
    row = await _locked_filing(session, person, filing_id)
    before = _snapshot(row)
    terms = _terms(row)
    terms = replace(terms, documents_received=terms.documents_received | set(data.documents_received))
    _checked(terms, person)
    now = datetime.now(UTC)
    row.documents_received = sorted(terms.documents_received)
    if row.in_force_since is None and comes_into_force(terms):
        row.in_force_since = now
    await session.flush()
    AuditRepository(session).record(at=now, actor=principal.subject, action="out_of_region_documents",
                                    person=person, entity=ENTITY, entity_key=row.id, before=before,
                                    after=_snapshot(row))
    return row


async def end(
    session: AsyncSession, person: PersonRow, filing_id: str, data: FilingEnd, principal: Principal,
) -> OutOfRegionFilingRow:
    """The filing stops covering after `last_day` (the person came back, the posting ended)."""
    row = await _locked_filing(session, person, filing_id)
    if row.last_day is not None:
        raise Conflict("该备案已终止 (already ended)", code="filing_ended")
    # The day before valid_from withdraws a filing that should never have covered anything.
    if data.last_day < row.valid_from - timedelta(days=1) or (
            row.valid_until is not None and data.last_day > row.valid_until):
        raise Unprocessable("终止日须在有效期内 (last_day must lie inside the filing's validity)",
                            code="last_day_outside_validity")
    before = _snapshot(row)
    now = datetime.now(UTC)
    row.last_day, row.ended_at, row.end_reason = data.last_day, now, data.reason
    await session.flush()
    AuditRepository(session).record(at=now, actor=principal.subject, action="out_of_region_ended",
                                    person=person, entity=ENTITY, entity_key=row.id, before=before,
                                    after=_snapshot(row))
    return row
