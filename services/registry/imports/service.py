"""A list import, start to end: claim the batch id, read what the registry holds for the persons
named (and, for a full list, everyone holding the category in its region), plan, write the plan
in one transaction with an audit entry per change and a result per row."""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from services.registry.audit.repository import AuditRepository
from services.registry.eligibility.rules import insurance_on
from services.registry.identities.models import IdentityRow
from services.registry.identities.rules import Window, identity_window
from services.registry.imports.models import ImportBatchRow, ImportRowRow
from services.registry.imports.plan import COUNTS, ListRow, ListSpec, Outcome, PersonState, Plan, plan_import
from services.registry.imports.repository import ImportRepository
from services.registry.imports.schemas import ImportSummary, Refusal, RowOutcome
from shared.auth import Principal
from shared.categories import OWNER
from shared.errors import Conflict, Unprocessable
from shared.id_number import InvalidIdNumber, parse
from shared.tabular import printable_cell

PREVIEW_LIMIT = 1000
ANALYZE_AFTER_ROWS = 5000


@dataclass(frozen=True)
class Imported:
    summary: ImportSummary
    changes: list[Outcome]  # all of them, where the summary lists the first PREVIEW_LIMIT


@dataclass(frozen=True)
class ListToImport:
    agency: str
    batch_id: str
    spec: ListSpec
    rows: list[ListRow]
    dry_run: bool

    def fingerprint(self) -> str:
        text = repr((self.spec, [(r.id_number, r.name, r.region_code, r.document_number, r.approved_on, r.problem)
                                 for r in self.rows]))
        return hashlib.sha256(text.encode()).hexdigest()


def _normalized(raw: str) -> str | None:
    try:
        return parse(raw).value
    except InvalidIdNumber:
        return None


async def run_import(
    imports: ImportRepository, data: ListToImport, known_regions: set[str], principal: Principal,
) -> Imported:
    fingerprint = data.fingerprint()
    stored = await imports.batch(data.agency, data.batch_id)
    if stored is not None:  # a dry run of a stored batch answers what sending it would
        return Imported(await _replayed(imports, stored, fingerprint, principal), [])
    batch = _batch_row(data, fingerprint, principal)
    if not data.dry_run:
        try:
            async with imports.session.begin_nested():
                imports.session.add(batch)
                await imports.session.flush()
        except IntegrityError:  # the same batch is being imported right now
            raise Conflict("该批次正在导入 (this batch is being imported)", code="import_in_progress",
                           headers={"Retry-After": "5"}) from None
    plan = await _plan(imports, data, known_regions)
    refusal = plan.refusal(data.spec)
    if refusal is not None and not data.dry_run:  # the claim of the batch id is rolled back with the rest
        raise Unprocessable(refusal.detail, code=refusal.code)
    if not data.dry_run:
        await _write(imports, data, plan, principal)
        if len(data.rows) >= ANALYZE_AFTER_ROWS:
            await imports.refresh_statistics()
        for key, count in plan.counts().items():
            setattr(batch, key, count)
        await imports.session.flush()
    changes = plan.changes() if data.dry_run else plan.rejections()
    return Imported(_summary(data, plan, changes, principal), changes)


async def _plan(imports: ImportRepository, data: ListToImport, known_regions: set[str]) -> Plan:
    spec = data.spec
    numbers = sorted({n for n in (_normalized(r.id_number) for r in data.rows) if n is not None})
    persons = await imports.persons(numbers)
    members = await imports.members(spec.region_code, spec.category.value) if spec.mode == "full" and \
        spec.region_code else {}
    person_ids = sorted({pid for pid, _, _ in persons.values()} | set(members))
    if not data.dry_run:
        await imports.lock(person_ids)
        if spec.mode == "full" and spec.region_code:  # read again under the locks: none added meanwhile escapes
            members = await imports.members(spec.region_code, spec.category.value)
            newcomers = sorted(set(members) - set(person_ids))
            await imports.lock(newcomers)
            person_ids = sorted({*person_ids, *newcomers})
    events = await imports.insurance_events(person_ids)
    held = await imports.held(person_ids, spec.category.value)

    def state(number: str, pid: int, name: str, region: str) -> PersonState:
        enrolment = insurance_on(events[pid], spec.list_date)
        return PersonState(pid, number, name, region, enrolment is not None and enrolment.status == "active",
                           tuple(held[pid]))

    return plan_import(
        spec, data.rows, {n: state(n, pid, name, region) for n, (pid, name, region) in persons.items()},
        known_regions, members=[state(number, pid, name, region) for pid, (number, name, region, _) in members.items()],
    )


async def _write(imports: ImportRepository, data: ListToImport, plan: Plan, principal: Principal) -> None:
    now = datetime.now(UTC)
    spec, source = data.spec, OWNER[data.spec.category].value
    reason = f"名单 {data.batch_id}"
    identities: list[dict[str, Any]] = []
    audit: list[dict[str, Any]] = []
    id_numbers: dict[int, str] = {}

    def version(person: PersonState, key: str, document: str, approved_on: Any, ended_on: Any, window: Window,
                change: str) -> dict[str, Any]:
        return {"identity_key": key, "person_id": person.person_id, "category": spec.category.value,
                "source_agency": source, "document_number": document, "approved_on": approved_on,
                "ended_on": ended_on, "effective_from": window.effective_from,
                "effective_until": window.effective_until, "change": change, "reason": reason,
                "batch_id": data.batch_id, "created_by": principal.subject, "recorded_at": now,
                "superseded_at": None}

    def audited(person: PersonState, action: str, before: dict[str, Any] | None, after: dict[str, Any]) -> None:
        id_numbers[person.person_id] = person.id_number
        audit.append({"at": now, "actor": principal.subject, "action": action, "person_id": person.person_id,
                      "entity": "identity", "entity_key": after["identity_key"], "before": before,
                      "after": _jsonable(after), "batch_id": data.batch_id})

    for person, row, window in plan.additions:
        new = version(person, uuid.uuid4().hex, row.document_number or spec.document_number,
                      row.approved_on or spec.list_date, None, window, "imported")
        identities.append(new)
        audited(person, "identity_imported", None, new)
    for merge in plan.reopenings:
        first = merge.held[0]
        new = version(merge.person, first.identity_key, first.document_number, merge.approved_on, None,
                      identity_window(merge.approved_on), "imported")
        identities.append(new)
        audited(merge.person, "identity_merged", {"merged": [_jsonable(_held_dict(h)) for h in merge.held]}, new)
    for person, held in plan.endings:
        new = version(person, held.identity_key, held.document_number, held.approved_on, spec.list_date,
                      identity_window(held.approved_on, spec.list_date), "list_ended")
        identities.append(new)
        audited(person, "identity_list_ended", _jsonable(_held_dict(held)), new)
    await imports.supersede([h.row_id for m in plan.reopenings for h in m.held] + [h.row_id for _, h in plan.endings],
                            now)
    await imports.insert_many(IdentityRow.__table__, identities)
    await AuditRepository(imports.session).record_many(audit, id_numbers)  # with their change events
    await imports.insert_many(ImportRowRow.__table__, [
        {"agency": data.agency, "batch_id": data.batch_id, "row_no": o.row_no,
         "id_number": printable_cell(o.id_number)[:32], "name": printable_cell(o.name or "")[:64] or None,
         "outcome": o.outcome, "action": o.action,
         "reason_code": o.reason_code,
         "message": printable_cell(o.message or "")[:128] or None, "person_id": o.person_id}
        for o in plan.outcomes
    ])


def _held_dict(held: Any) -> dict[str, Any]:
    return {"identity_key": held.identity_key, "document_number": held.document_number,
            "approved_on": held.approved_on, "ended_on": held.ended_on,
            "effective_from": held.effective_from, "effective_until": held.effective_until}


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    keep = ("identity_key", "category", "document_number", "approved_on", "ended_on", "effective_from",
            "effective_until", "change")
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in values.items() if k in keep}


def _batch_row(data: ListToImport, fingerprint: str, principal: Principal) -> ImportBatchRow:
    """The batch claimed before its rows are planned; its counts are filled in once written."""
    spec = data.spec
    return ImportBatchRow(
        agency=data.agency, batch_id=data.batch_id, request_hash=fingerprint, category=spec.category.value,
        mode=spec.mode, region_code=spec.region_code, list_date=spec.list_date, rows=len(data.rows),
        created_by=principal.subject, created_at=datetime.now(UTC), **dict.fromkeys(COUNTS, 0),
    )


async def stored_summary(
    imports: ImportRepository, stored: ImportBatchRow, principal: Principal, *, replayed: bool,
) -> ImportSummary:
    """A stored batch's result, with its rejected rows as when it was imported."""
    rejected = await imports.rows(stored.agency, stored.batch_id, outcome="rejected", limit=PREVIEW_LIMIT, offset=0)
    return ImportSummary(
        batch_id=stored.batch_id, agency=stored.agency, category=stored.category, mode=stored.mode,
        region_code=stored.region_code, list_date=stored.list_date, dry_run=False, replayed=replayed,
        rows=stored.rows, changes=[outcome_out(row, principal) for row in rejected], changes_total=stored.rejected,
        truncated=stored.rejected > PREVIEW_LIMIT, **{key: getattr(stored, key) for key in COUNTS},
    )


async def _replayed(
    imports: ImportRepository, stored: ImportBatchRow, fingerprint: str, principal: Principal,
) -> ImportSummary:
    if stored.request_hash != fingerprint:
        raise Unprocessable("该批次号已用于另一份名单 (this batch id was used for a different list)",
                            code="batch_id_reused")
    return await stored_summary(imports, stored, principal, replayed=True)


def outcome_out(outcome: Outcome | ImportRowRow, principal: Principal) -> RowOutcome:
    return RowOutcome(
        row_no=outcome.row_no, id_number=principal.visible_id_number(outcome.id_number),
        name=printable_cell(outcome.name) if outcome.name else None,
        outcome=outcome.outcome, action=outcome.action, reason_code=outcome.reason_code, message=outcome.message,
    )


def _summary(data: ListToImport, plan: Plan, changes: list[Outcome], principal: Principal) -> ImportSummary:
    spec = data.spec
    refusal = plan.refusal(spec)
    return ImportSummary(
        batch_id=data.batch_id, agency=data.agency, category=spec.category, mode=spec.mode,
        region_code=spec.region_code, list_date=spec.list_date, dry_run=data.dry_run, replayed=False,
        rows=len(data.rows), **plan.counts(),
        would_be_refused=refusal is not None,
        refusal=Refusal.model_validate(refusal, from_attributes=True) if refusal else None,
        changes=[outcome_out(o, principal) for o in changes[:PREVIEW_LIMIT]], changes_total=len(changes),
        truncated=len(changes) > PREVIEW_LIMIT,
    )
