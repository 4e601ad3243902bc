"""Use cases on persons: plain functions over repositories; no HTTP, no commit. Every change is
recorded in the audit log with the state before and after."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from services.registry.audit.repository import AuditRepository
from services.registry.persons.models import InsuranceEventRow, PersonRow
from services.registry.persons.repository import PersonRepository
from services.registry.persons.schemas import INSURED_SINCE_UNKNOWN, InsuranceChange, PersonCreate, PersonUpdate
from shared.auth import Principal, Role
from shared.errors import Conflict, Forbidden, NotFound
from shared.id_number import parse


def snapshot(row: PersonRow) -> dict[str, Any]:
    return {"name": row.name, "region_code": row.region_code, "insurance_type": row.insurance_type}


def event_snapshot(row: InsuranceEventRow) -> dict[str, Any]:
    return {"effective_from": row.effective_from.isoformat(), "status": row.status,
            "insurance_type": row.insurance_type, "reason": row.reason}


async def register_person(persons: PersonRepository, data: PersonCreate, principal: Principal) -> PersonRow:
    if data.insured_from is not None and principal.role is not Role.OPS:
        # Enrolment comes from the insurance side (as every later change of it: `Enroller`), not an agency.
        raise Forbidden("参保起始日等参保登记信息只能由医保经办录入 (only the insurance office (ops) records enrolment:"
                        " leave out insured_from)", code="enrolment_by_ops_only")
    if await persons.by_id_number(data.id_number) is not None:
        raise Conflict("该身份证号已登记 (a person with this ID number exists)", code="person_exists")
    id_number = parse(data.id_number)
    row = PersonRow(
        id_number=id_number.value, name=data.name, gender=id_number.gender,
        birth_on=id_number.birth_date, insurance_type=data.insurance_type.value,
        region_code=data.region_code,
    )
    try:
        async with persons.session.begin_nested():
            await persons.add(row)
    except IntegrityError as exc:  # a concurrent registration of the same number won
        raise Conflict("该身份证号已登记 (a person with this ID number exists)", code="person_exists") from exc
    now = datetime.now(UTC)
    event = await persons.add_insurance_event(InsuranceEventRow(
        person_id=row.id, effective_from=data.insured_from or INSURED_SINCE_UNKNOWN, status="active",
        insurance_type=data.insurance_type.value, reason="登记 (registered)", recorded_by=principal.subject,
        recorded_at=now,
    ))
    AuditRepository(persons.session).record(
        at=now, actor=principal.subject, action="person_registered", person=row, entity="person",
        entity_key=row.id_number, before=None, after={**snapshot(row), "insurance": event_snapshot(event)},
    )
    return row


def person_not_found() -> NotFound:
    return NotFound("未找到该参保人员 (no such insured person)", code="person_not_found")


async def get_person(persons: PersonRepository, id_number: str) -> PersonRow:
    person = await persons.by_id_number(id_number)
    if person is None:
        raise person_not_found()
    return person


async def update_person(persons: PersonRepository, person: PersonRow, data: PersonUpdate, principal: Principal) -> None:
    await persons.lock(person)
    before = snapshot(person)
    if data.name is not None:
        person.name = data.name
    if data.region_code is not None:
        person.region_code = data.region_code
    await persons.session.flush()
    AuditRepository(persons.session).record(
        at=datetime.now(UTC), actor=principal.subject, action="person_updated", person=person,
        entity="person", entity_key=person.id_number, before={**before, "reason": None},
        after={**snapshot(person), "reason": data.reason},
    )


async def change_insurance(
    persons: PersonRepository, person: PersonRow, data: InsuranceChange, principal: Principal,
) -> InsuranceEventRow:
    await persons.lock(person)
    now = datetime.now(UTC)
    event = await persons.add_insurance_event(InsuranceEventRow(
        person_id=person.id, effective_from=data.effective_from, status=data.status,
        insurance_type=data.insurance_type.value, reason=data.reason, recorded_by=principal.subject, recorded_at=now,
    ))
    latest = max((await persons.insurance_events([person.id]))[person.id],
                 key=lambda e: (e.effective_from, e.recorded_at, e.id))
    person.insurance_type = latest.insurance_type
    await persons.session.flush()
    AuditRepository(persons.session).record(
        at=now, actor=principal.subject, action="insurance_changed", person=person, entity="insurance",
        entity_key=person.id_number, before=None, after=event_snapshot(event),
    )
    return event
