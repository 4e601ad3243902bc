"""Go-live and policy-change batches (烟台2018通知 二、4): upload (or a date range named) →
calculating → calculated → approved/rejected by civil affairs. The calculation runs as a background
task of the settlement process, a chunk of whole person-years (a range batch: whole persons) at a
time; each chunk's results are committed with the batch's progress in one transaction, so a task
that dies leaves the batch at its last chunk, and a restarted process (or `:resume`) continues from
there. A chunk is committed only if the batch is still at it: two tasks on one batch never both
write a person-year.

The batch never writes the ledger or the settlements. An uploaded batch is a list for civil affairs
to pay; a range batch's approval asks the corrections for a proposal of each person-year that moves
(an event per person-year, `settlement.recalculated`), which civil affairs then decides as any
correction."""

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row

from services.settlement.audit.repository import StateChangeRepository
from services.settlement.changes.repository import ChangeRepository
from services.settlement.changes.rules import recalculated
from services.settlement.corrections.service import CorrectionService
from services.settlement.lookups import NOT_REGISTERED, Patient, patient_from
from services.settlement.monitoring.rules import period_of
from services.settlement.peers import Peers
from services.settlement.recalculation.ranges import persons_of, replay_person, window_of
from services.settlement.recalculation.repository import RecalculationRepository
from services.settlement.recalculation.rules import (
    RANGE,
    RUNNING,
    DischargeRange,
    HistoricSettlement,
    Rejected,
    Status,
    chunked,
    eligibility_days,
    replay_order,
    waves,
)
from services.settlement.recalculation.schemas import Batch, Decision, RangeRequest
from shared.auth import Principal
from shared.categories import Category, InsuranceType
from shared.contracts.calculation import Bill, CalculationRequest, CalculationResult, IllnessPovertyGrant, YearToDate
from shared.contracts.hospitals import fetch_hospital
from shared.db import Database
from shared.errors import Conflict, NotFound, Problem, Unprocessable

log = logging.getLogger("settlement.recalculation")
NO_INSURANCE_TYPE = "登记与上传均无险种 (neither the registry nor the file gives the insurance type)"
ELIGIBILITY_BATCH = 1000  # the registry's bulk eligibility takes at most this many persons


def batch_not_found() -> NotFound:
    return NotFound("未找到该重算批次 (no such recalculation batch)", code="batch_not_found")


def batch_not_decidable(status: str = "calculating") -> Conflict:
    return Conflict(f"批次状态为 {status}，只有计算完成的批次可以审核 (only a calculated batch can be decided)",
                    code="batch_not_decidable")


def batch_not_calculated(status: str = "calculating") -> Conflict:
    return Conflict(f"批次状态为 {status}，计算尚未完成 (the batch is not calculated yet)", code="batch_not_calculated")


def batch_finished(status: str = "approved") -> Conflict:
    return Conflict(f"批次状态为 {status}，已计算完成，无需续算 (the batch is already calculated)",
                    code="batch_finished")


def range_batch_running(batch_id: str = "0f5c2a8e6b9d4e1f8a7b6c5d4e3f2a1b") -> Conflict:
    return Conflict("已有出院日期范围重叠的重算批次正在计算，请待其完成 (a batch over an overlapping range is still"
                    " calculating)", code="range_batch_running", extra={"batch_id": batch_id})


def no_valid_rows(rejected: Sequence[Rejected] = ()) -> Unprocessable:
    return Unprocessable("文件中没有可用的行 (no row of the file can be used)", code="no_valid_rows",
                         extra={"rejected_rows": [{"line": r.line, "reason": r.reason} for r in rejected]})


@dataclass(slots=True)
class _Replay:
    """A person-year as replayed so far: its year-to-date and what its grant has used."""

    year_to_date: YearToDate
    grant: IllnessPovertyGrant | None = None


class RecalculationService:
    def __init__(
        self, database: Database, peers: Peers, corrections: CorrectionService, *, chunk_rows: int,
        stop_after_chunks: int = 0,
    ) -> None:
        """`chunk_rows`: about how many rows one chunk holds (whole person-years). `stop_after_chunks`:
        a test hook; above 0, a task raises after committing that many chunks, as a crash would.
        `corrections`: its replay recomputes a range batch's settlements."""
        self.database = database
        self.peers = peers
        self.corrections = corrections
        self.chunk_rows = chunk_rows
        self.stop_after_chunks = stop_after_chunks
        self.tasks: dict[str, asyncio.Task[None]] = {}

    async def upload(
        self, good: list[tuple[int, HistoricSettlement]], rejected: list[Rejected], source: str, note: str,
        principal: Principal,
    ) -> Batch:
        if not good:
            raise no_valid_rows(rejected)
        ordered = replay_order(good)
        chunks = chunked(ordered, self.chunk_rows)
        now = datetime.now(UTC)
        batch_id = uuid.uuid4().hex
        items = [{
            "line": line, "chunk": chunk, "id_number": s.id_number, "hospital_code": s.hospital_code,
            "admitted_on": s.admitted_on, "discharged_on": s.discharged_on, "medical_type": s.medical_type.value,
            "insurance_type": s.insurance_type.value if s.insurance_type else None,
            "bill": s.bill.model_dump(mode="json", exclude_defaults=True), "computed": False,
        } for (line, s), chunk in zip(ordered, chunks, strict=True)]
        async with self.database.engine.begin() as connection:
            await RecalculationRepository(connection).create({
                "id": batch_id, "status": Status.UPLOADED, "source": source, "note": note, "rows_total": len(items),
                "rows_done": 0, "chunks_total": chunks[-1] + 1, "chunks_done": 0,
                "rejected_rows": [{"line": r.line, "reason": r.reason} for r in rejected],
                "created_at": now, "created_by": principal.subject,
            }, items)
            await StateChangeRepository(connection).record(
                at=now, actor=principal.subject, action="upload", entity="recalculation_batch", entity_key=batch_id,
                before=None, after={"status": Status.UPLOADED, "rows": len(items), "rejected": len(rejected)})
        self.start(batch_id)
        return await self.get(batch_id)

    async def create_range(self, request: RangeRequest, principal: Principal) -> Batch:
        """A batch over the settled settlements discharged in the range: their persons, each with the
        window of each year to replay, cut into chunks; none is a batch calculated at once, empty."""
        period_of(None, request.from_date, request.to_date)  # 422 invalid_date_range / date_range_too_long
        discharges = DischargeRange(request.from_date, request.to_date, request.region_code, request.hospital_code)
        now = datetime.now(UTC)
        batch_id = uuid.uuid4().hex
        async with self.database.engine.begin() as connection:
            repository = RecalculationRepository(connection)
            await repository.lock_ranges()
            for running in await repository.running_ranges():
                if discharges.overlaps(DischargeRange(running.from_date, running.to_date, running.region_code,
                                                      running.hospital_code)):
                    raise range_batch_running(running.id)
            persons = persons_of(await repository.range_settlements(discharges), request.to_date, self.chunk_rows)
            status = Status.UPLOADED if persons else Status.CALCULATED
            rows = sum(person["settlements"] for person in persons)
            await repository.create({
                "id": batch_id, "status": status, "source": RANGE, "note": request.note, "rows_total": rows,
                "rows_done": 0, "chunks_total": persons[-1]["chunk"] + 1 if persons else 0, "chunks_done": 0,
                "rejected_rows": [], "created_at": now, "created_by": principal.subject,
                "calculated_at": None if persons else now, "from_date": request.from_date,
                "to_date": request.to_date, "region_code": request.region_code, "hospital_code": request.hospital_code,
            }, (), persons)
            await StateChangeRepository(connection).record(
                at=now, actor=principal.subject, action="create", entity="recalculation_batch", entity_key=batch_id,
                before=None, after={"status": status, "settlements": rows, "persons": len(persons),
                                    "range": [request.from_date.isoformat(), request.to_date.isoformat()]})
        if persons:
            self.start(batch_id)
        return await self.get(batch_id)

    async def get(self, batch_id: str) -> Batch:
        async with self.database.autocommit.connect() as connection:
            repository = RecalculationRepository(connection)
            row = await repository.batch(batch_id)
            if row is None:
                raise batch_not_found()
            totals = await (repository.range_totals if row.source == RANGE else repository.totals)(batch_id)
        return Batch.of(row, totals)

    async def finished(self, batch_id: str) -> tuple[Row, list[Row], list[Row]]:
        """A calculated (or decided) batch and its rows, for the downloads: the uploaded rows, or a
        range batch's settlements replayed and its persons not replayed."""
        async with self.database.autocommit.connect() as connection:
            repository = RecalculationRepository(connection)
            row = await repository.batch(batch_id)
            if row is None:
                raise batch_not_found()
            if row.status in RUNNING:
                raise batch_not_calculated(row.status)
            if row.source == RANGE:
                return row, await repository.replayed(batch_id), await repository.not_replayed(batch_id)
            return row, await repository.items(batch_id), []

    async def resume(self, batch_id: str, principal: Principal) -> Batch:
        found = await self.get(batch_id)
        if found.status not in RUNNING:
            raise batch_finished(found.status)
        async with self.database.engine.begin() as connection:
            await StateChangeRepository(connection).record(
                at=datetime.now(UTC), actor=principal.subject, action="resume", entity="recalculation_batch",
                entity_key=batch_id, before={"chunks_done": found.chunks_done}, after=None)
        self.start(batch_id)
        return found

    async def decide(self, batch_id: str, approve: bool, decision: Decision, principal: Principal) -> Batch:
        """Civil affairs approves the list (to pay it) or rejects it, saying why. Approving a range
        batch writes, in the same transaction, one `settlement.recalculated` event per person-year
        whose replay moves anything: the worker makes each a correction proposal."""
        to_status = Status.APPROVED if approve else Status.REJECTED
        now = datetime.now(UTC)
        async with self.database.engine.begin() as connection:
            repository = RecalculationRepository(connection)
            row = await repository.batch(batch_id, lock=True)
            if row is None:
                raise batch_not_found()
            if not await repository.move(batch_id, Status.CALCULATED, to_status, decided_at=now,
                                         decided_by=principal.subject, decision_reason=decision.reason):
                raise batch_not_decidable(row.status)
            asked = 0
            if approve and row.source == RANGE:
                changes = ChangeRepository(connection)
                for id_number, year, person_windows in await repository.changed_person_years(batch_id):
                    await changes.add(recalculated(id_number, batch_id, window_of(person_windows, year), now))
                    asked += 1
            await StateChangeRepository(connection).record(
                at=now, actor=principal.subject, action=to_status.value, entity="recalculation_batch",
                entity_key=batch_id, before={"status": row.status},
                after={"status": to_status, "reason": decision.reason}
                | ({"corrections_asked": asked} if row.source == RANGE else {}))
        return await self.get(batch_id)

    def start(self, batch_id: str) -> None:
        """Run the batch in this process unless it already runs here."""
        running = self.tasks.get(batch_id)
        if running is None or running.done():
            self.tasks[batch_id] = asyncio.create_task(self._run_logged(batch_id))

    async def resume_unfinished(self) -> None:
        """At start: the batches a stopped process left half done."""
        async with self.database.autocommit.connect() as connection:
            for batch_id in await RecalculationRepository(connection).unfinished():
                self.start(batch_id)

    async def close(self) -> None:
        for task in self.tasks.values():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _run_logged(self, batch_id: str) -> None:
        try:
            await self.run(batch_id)
        except Exception:  # the batch stays at its last committed chunk, for `:resume`
            log.exception("recalculation batch %s stopped", batch_id)

    async def run(self, batch_id: str) -> None:
        async with self.database.engine.begin() as connection:
            repository = RecalculationRepository(connection)
            if await repository.move(batch_id, Status.UPLOADED, Status.CALCULATING):
                await StateChangeRepository(connection).record(
                    at=datetime.now(UTC), actor="settlement", action="calculate", entity="recalculation_batch",
                    entity_key=batch_id, before={"status": Status.UPLOADED}, after={"status": Status.CALCULATING})
        committed = 0
        hospitals: dict[tuple[str, date], dict[str, Any] | Problem] = {}
        while True:
            async with self.database.autocommit.connect() as connection:
                repository = RecalculationRepository(connection)
                batch = await repository.batch(batch_id)
                if batch is None or batch.status != Status.CALCULATING:
                    return
                chunk = batch.chunks_done
                ranged = batch.source == RANGE
                rows = await (repository.persons if ranged else repository.chunk)(batch_id, chunk)
            last = chunk + 1 == batch.chunks_total
            if ranged:
                moved_on = await self._replay_chunk(batch_id, chunk, rows, last)
            else:
                results = await self._compute(rows, hospitals)
                async with self.database.engine.begin() as connection:
                    moved_on = await RecalculationRepository(connection).commit_chunk(
                        batch_id, chunk, results, datetime.now(UTC), last=last)
            if not moved_on:
                return  # another task moved the batch on: it carries on
            committed += 1
            if self.stop_after_chunks and committed >= self.stop_after_chunks:
                raise RuntimeError(f"test hook: stopped after {committed} chunks")

    async def _replay_chunk(self, batch_id: str, chunk: int, persons: list[Row], last: bool) -> bool:
        """A range batch's chunk: each person replayed (a few at a time), then their settlements and the
        batch's progress in one transaction; False when another task committed the chunk first."""
        replays = await _bounded([replay_person(self.corrections, person) for person in persons])
        async with self.database.engine.begin() as connection:
            repository = RecalculationRepository(connection)
            if not await repository.advance(batch_id, chunk, sum(p.settlements for p in persons), datetime.now(UTC),
                                            last):
                return False
            await repository.save_replays(batch_id, [outcome for outcome, _ in replays],
                                          [settlement for _, replayed in replays for settlement in replayed])
        return True

    async def _compute(
        self, rows: list[Row], hospitals: dict[tuple[str, date], dict[str, Any] | Problem],
    ) -> list[dict[str, Any]]:
        patients = await self._patients(rows)
        await self._hospitals(rows, hospitals)
        replays: dict[tuple[str, int], _Replay] = {}
        results: list[dict[str, Any]] = []
        for wave in waves(rows, key=lambda r: (r.id_number, r.discharged_on.year)):
            requests: list[tuple[Row, Patient, CalculationRequest]] = []
            for row in wave:
                patient = patients[row.id_number, row.discharged_on]
                hospital = hospitals[row.hospital_code, row.discharged_on]
                replay = replays.setdefault((row.id_number, row.discharged_on.year), _Replay(YearToDate()))
                insurance_type = patient.insurance_type or (InsuranceType(row.insurance_type)
                                                            if row.insurance_type else None)
                if isinstance(hospital, Problem):
                    results.append(_not_computed(row, hospital.code, hospital.detail))
                elif insurance_type is None:
                    results.append(_not_computed(row, "insurance_type_unknown", NO_INSURANCE_TYPE))
                else:
                    requests.append((row, patient, _request(row, patient, hospital, insurance_type, replay)))
            if requests:
                answer = await self.peers.assistance.post(
                    "/v1/calculations:batch", {"items": [r.model_dump(mode="json") for _, _, r in requests]},
                    idempotent=True)
                for (row, patient, _), item in zip(requests, answer["items"], strict=True):
                    if item["problem"] is not None:
                        results.append(_not_computed(row, item["problem"]["code"], item["problem"]["detail"]))
                        continue
                    result = CalculationResult.model_validate(item["result"])
                    replay = replays[row.id_number, row.discharged_on.year]
                    replay.year_to_date = result.year_to_date_after
                    replay.grant = result.illness_poverty_grant_after or replay.grant
                    results.append({
                        "line": row.line, "policy_id": result.policy_id,
                        "identity_applied": result.identity_applied.value if result.identity_applied else None,
                        "assistance": result.assistance, "re_assistance": result.re_assistance,
                        "personal_share": result.personal_share, "reason": patient.reason or result.reason,
                        "problem_code": None,
                    })
        return results

    async def _patients(self, rows: Sequence[Row]) -> dict[tuple[str, date], Patient]:
        """Each person as the registry has them on each discharge date, asked 1,000 at a time."""
        calls: list[Awaitable[dict[str, Any]]] = []
        asked: list[tuple[date, list[str]]] = []
        for day, persons in eligibility_days(rows).items():
            for start in range(0, len(persons), ELIGIBILITY_BATCH):
                some = persons[start:start + ELIGIBILITY_BATCH]
                calls.append(self.peers.registry.post(
                    "/v1/eligibility:batch", {"on": day.isoformat(), "id_numbers": some}, idempotent=True))
                asked.append((day, some))
        patients: dict[tuple[str, date], Patient] = {}
        for (day, some), answer in zip(asked, await _bounded(calls), strict=True):
            # in the order asked (the answer masks ID numbers for a caller without pii:read)
            for id_number, item in zip(some, answer["items"], strict=True):
                patients[id_number, day] = patient_from(item["eligibility"]) if item["found"] else NOT_REGISTERED
        return patients

    async def _hospitals(
        self, rows: Sequence[Row], hospitals: dict[tuple[str, date], dict[str, Any] | Problem],
    ) -> None:
        """The catalog's hospital as of each discharge (its region and level), or why there is none."""
        wanted = list(dict.fromkeys((r.hospital_code, r.discharged_on) for r in rows
                                    if (r.hospital_code, r.discharged_on) not in hospitals))

        async def one(code: str, on: date) -> dict[str, Any] | Problem:
            try:
                return await fetch_hospital(self.peers.catalog, code, on)
            except Unprocessable as exc:
                return exc

        for key, found in zip(wanted, await _bounded([one(*key) for key in wanted]), strict=True):
            hospitals[key] = found


async def _bounded(calls: Sequence[Awaitable[Any]], at_once: int = 4) -> list[Any]:
    """The calls, a few at a time (the peers serve HIS settlements meanwhile)."""
    gate = asyncio.Semaphore(at_once)

    async def gated(call: Awaitable[Any]) -> Any:
        async with gate:
            return await call

    return list(await asyncio.gather(*(gated(c) for c in calls)))


def _not_computed(row: Row, code: str, detail: str) -> dict[str, Any]:
    return {"line": row.line, "policy_id": None, "identity_applied": None, "assistance": None,
            "re_assistance": None, "personal_share": None, "reason": detail[:500], "problem_code": code}


def _request(
    row: Row, patient: Patient, hospital: dict[str, Any], insurance_type: InsuranceType, replay: _Replay,
) -> CalculationRequest:
    grant = None
    window = patient.illness_poverty_window
    if window is not None and Category.ILLNESS_POVERTY in patient.identities:
        used = replay.grant if replay.grant is not None and replay.grant.window_from == window[0] else None
        grant = patient.grant(used.assistance_base if used else Decimal(0),
                              used.assistance_paid if used else Decimal(0))
    return CalculationRequest(
        region_code=patient.region_code or hospital["region"]["code"], hospital_region_code=hospital["region"]["code"],
        insurance_type=insurance_type, medical_type=row.medical_type, hospital_level=hospital.get("level"),
        discharged_on=row.discharged_on, identities=patient.identities, illness_poverty_grant=grant,
        bill=Bill.model_validate(row.bill), year_to_date=replay.year_to_date,
    )

