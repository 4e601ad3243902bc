"""Admission registration (001 §五(一)) and treat-first-pay-later (004 §四(十))."""

import asyncio
import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.settlement import lookups
from services.settlement.admissions.models import AdmissionRow
from services.settlement.admissions.rules import TreatFirstPayLater, deposit_reasons
from services.settlement.admissions.schemas import Admission, AdmissionRequest, Referral
from services.settlement.audit.repository import LookupAuditRepository
from services.settlement.peers import Peers
from services.settlement.settlements.service import ensure_own_hospital
from shared.auth import Principal
from shared.categories import Category
from shared.db import Database
from shared.errors import Conflict
from shared.id_number import mask
from shared.rate_limit import RateLimiter


def _out(row: AdmissionRow) -> Admission:
    referral = None
    if row.referring_institution is not None and row.referred_on is not None:
        referral = Referral(referring_institution=row.referring_institution, referred_on=row.referred_on)
    return Admission(
        admission_id=row.id, admission_number=row.admission_number, hospital_code=row.hospital_code,
        id_number=mask(row.id_number), admitted_on=row.admitted_on,
        identities=[Category(c) for c in row.identities.split(",") if c],
        treat_first_pay_later=row.treat_first_pay_later, note=row.note, referral=referral,
        deposit_reasons=row.deposit_reasons.splitlines(),
    )


async def admit(
    database: Database, peers: Peers, request: AdmissionRequest, principal: Principal,
    rule: TreatFirstPayLater, lookup_limiter: RateLimiter,
) -> tuple[Admission, bool]:
    """(the admission, whether it was registered before by the same request)."""
    ensure_own_hospital(principal, request.hospital_code)
    query = select(AdmissionRow).where(
        AdmissionRow.hospital_code == request.hospital_code,
        AdmissionRow.admission_number == request.admission_number,
    )
    async with database.sessions() as session:
        existing = await session.scalar(query)
    if existing is None:
        lookups.allow_lookup(lookup_limiter, request.hospital_code)
        looked_up_at = datetime.now(UTC)
        patient, hospital = await asyncio.gather(
            lookups.patient(peers, request.id_number, request.admitted_on),
            lookups.designated_hospital(peers, request.hospital_code, request.admitted_on),
        )
        referral = request.referral
        reasons = deposit_reasons(rule, patient.identities, hospital["region"]["code"], request.admitted_on,
                                  referral.referred_on if referral is not None else None)
        if patient.reason:
            reasons.insert(0, patient.reason)
        row = AdmissionRow(
            id=uuid.uuid4().hex, hospital_code=request.hospital_code, admission_number=request.admission_number,
            id_number=request.id_number, admitted_on=request.admitted_on,
            identities=",".join(patient.identities), treat_first_pay_later=not reasons,
            note=reasons[0] if reasons else None,  # the first; all of them in deposit_reasons
            referring_institution=referral.referring_institution if referral is not None else None,
            referred_on=referral.referred_on if referral is not None else None,
            deposit_reasons="\n".join(reasons),
        )

        async def audit(session: AsyncSession) -> None:
            await LookupAuditRepository(await session.connection()).record(
                at=looked_up_at, actor=principal.subject, hospital_code=request.hospital_code,
                id_number=request.id_number, purpose="admission", reference=request.admission_number,
            )

        try:
            async with database.sessions.begin() as session:
                session.add(row)
                await audit(session)
            return _out(row), False
        except IntegrityError:
            async with database.sessions.begin() as session:  # registered meanwhile; the look-up was made
                await audit(session)
                existing = await session.scalar(query)
    assert existing is not None
    if (existing.id_number, existing.admitted_on) != (request.id_number, request.admitted_on):
        raise Conflict("该住院号已登记为另一次入院 (admission number already used)", code="admission_exists")
    return _out(existing), True
