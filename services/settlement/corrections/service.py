"""Corrections (docs/design.md "Corrections"): a received change → the settlements it can affect → a
replay of their years in discharge order through assistance's `calculations:batch` (chained), under
the identities as registry now says → a proposal; an agency approves (adjustment entries, linked to
the original settlements) or rejects it, then records the money paid to the person or recovered.
Three write paths, each one unit of work: `propose` (the worker's, with marking the change handled),
`decide` and `record_payment`. Every HTTP call happens before the transaction opens."""

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from services.settlement import lookups
from services.settlement.audit.repository import StateChangeRepository
from services.settlement.changes.repository import ChangeRepository
from services.settlement.changes.rules import CANCELLED, CORRECTED, RECALCULATED, SETTLED, corrected
from services.settlement.corrections import rules
from services.settlement.corrections.repository import CorrectionRepository, settled_funds
from services.settlement.corrections.rules import ItemFigures, Outcome, Reason
from services.settlement.corrections.schemas import (
    Decision,
    HistoryEntry,
    PaymentRecord,
    PaymentRequest,
    PersonPayment,
    Proposal,
    ProposalItem,
)
from services.settlement.ledger.repository import LedgerRepository, PersonYear, year_to_date
from services.settlement.peers import Peers
from shared.auth import Principal
from shared.clock import SHANGHAI, today
from shared.contracts.calculation import CalculationResult
from shared.db import Database
from shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from shared.id_number import mask

log = logging.getLogger("settlement.corrections")

REPLAYED_TYPES = ("identity.added", "identity.ended", "identity.corrected", "grant.approved", CANCELLED, SETTLED,
                  CORRECTED, RECALCULATED)
"""The changes that can change a calculation. Enrolment and filing events are recorded and left: the
replay keeps each settlement's insurance type and hospital (a filing decides whether one-stop
settlement may happen, not what it pays)."""


def proposal_not_found() -> NotFound:
    return NotFound("未找到该更正建议 (no such correction proposal)", code="proposal_not_found")


def not_deciding_agency() -> Forbidden:
    return Forbidden("该更正建议不由本部门处理 (another agency decides this proposal)", code="agency_not_deciding")


def proposal_outdated() -> Conflict:
    return Conflict("建议作出后该参保人的台账已变动，将按最新情况重新生成"
                    " (the person's ledger moved since the proposal: a new one follows)", code="proposal_outdated")


def refused(status: str) -> Conflict:
    code, detail = rules.refusal(status) or ("", "")
    return Conflict(detail, code=code)


def payment_not_due() -> Conflict:
    return Conflict("该更正建议没有应补付或应追回的款项（须已批准且个人自付有差额） (nothing to pay or recover: the"
                    " proposal must be approved with a difference in the personal share)",
                    code="correction_payment_not_due")


def payment_recorded() -> Conflict:
    return Conflict("该更正建议的补付或追回已登记，且与本次登记不同 (the money is already recorded, differently)",
                    code="correction_payment_recorded")


def payment_amount_mismatch() -> Unprocessable:
    return Unprocessable("金额须等于应补付或应追回金额 (the amount must equal what is due)",
                         code="correction_amount_mismatch")


def done_on_out_of_range() -> Unprocessable:
    return Unprocessable("到账日期须在批准日与今天之间 (done_on must be between the approval and today)",
                         code="correction_done_on_out_of_range")


@dataclass(frozen=True, slots=True)
class Replay:
    outcome: Outcome
    items: list[dict[str, Any]]
    ledger_versions: dict[str, int]
    categories: set[str]


@dataclass(frozen=True, slots=True)
class Read:
    """What a proposal is computed from, read in one snapshot (`CorrectionService._read`)."""

    pending: Row | None
    reasons: list[Reason]
    first: dict[int, tuple[date, datetime, str]]
    rows: list[Row]  # the settlements to replay, in discharge order
    person_years: dict[int, PersonYear]
    current: dict[str, dict[str, Decimal]]  # what each has put into each accumulator so far
    corrected: dict[str, Row]  # its latest approved correction, if any


class ReplayRefused(Exception):
    """A settlement of the replay cannot be computed again (why, for the received change's outcome)."""


def reason_of(change: Row) -> Reason:
    settlement_id = (change.after or {}).get("settlement_id") if change.source == "settlement" else None
    return Reason(change.source, change.event_id, change.type, change.effective_from, change.effective_until,
                  settlement_id)


class CorrectionService:
    def __init__(self, database: Database, peers: Peers) -> None:
        self.database, self.peers = database, peers

    # the worker's write path

    async def take_up(self, limit: int = 50) -> int:
        """Take up the received changes not yet handled, oldest first; the number taken up."""
        async with self.database.autocommit.connect() as connection:
            changes = await CorrectionRepository(connection).unhandled(limit)
        for change in changes:
            await self.propose(change)
        return len(changes)

    async def propose(self, change: Row) -> None:
        reason = reason_of(change)
        if reason.type not in REPLAYED_TYPES:
            return await self._handled(change, "不影响计算 (does not change a calculation)")
        read = await self._read(change.id_number, [reason])
        if read is None:
            return await self._handled(change, "无受影响的结算 (no settlement affected)")
        pending, reasons, first = read.pending, read.reasons, read.first
        try:
            replay = await self._replay(read, change.id_number)
        except ReplayRefused as exc:
            return await self._handled(change, f"不能重算 (cannot replay): {exc}")
        now = datetime.now(UTC)
        proposal_id = uuid.uuid4().hex
        async with self.database.engine.begin() as connection:
            repository = CorrectionRepository(connection)
            if pending is not None and pending.ledger_versions == replay.ledger_versions and _same(
                    await repository.items(pending.id), replay.items):
                await repository.mark_handled(change.source, change.event_id, now,
                                              f"proposal {pending.id} stands (unchanged)")
                return None
            if pending is not None and await repository.supersede(
                    pending.id, proposal_id if replay.outcome.changes_anything else None):
                await _audit(connection, pending.id, now, "worker", rules.SUPERSEDED, rules.PENDING,
                             f"{reason.source}#{reason.event_id} {reason.type}")
            if not replay.outcome.changes_anything:
                await repository.mark_handled(change.source, change.event_id, now, "结果不变 (nothing changes)")
                return None
            categories = replay.categories | {(change.after or {}).get("category")} - {None}
            await repository.add({
                "id": proposal_id, "id_number": change.id_number, "status": rules.PENDING,
                "reasons": [r.as_json() for r in reasons], "years": sorted(first),
                "agencies": rules.deciding_agencies(categories), "ledger_versions": replay.ledger_versions,
                "paid_to_person": replay.outcome.paid_to_person, "created_at": now,
            }, [{"proposal_id": proposal_id, **item} for item in replay.items])
            await _audit(connection, proposal_id, now, "worker", "proposed", None,
                         f"{reason.source}#{reason.event_id} {reason.type}")
            await repository.mark_handled(change.source, change.event_id, now, f"proposal {proposal_id}")
        log.info("correction proposal %s for %s: %d settlement(s), %s to the person", proposal_id,
                 mask(change.id_number), len(replay.items), replay.outcome.paid_to_person)
        return None

    async def _handled(self, change: Row, outcome: str) -> None:
        async with self.database.engine.begin() as connection:
            await CorrectionRepository(connection).mark_handled(change.source, change.event_id, datetime.now(UTC),
                                                                outcome)

    async def replay(self, id_number: str, reasons: list[Reason]) -> tuple[list[Row], Replay] | None:
        """What `reasons` alone would make the person's settlements pay now, a pending proposal's reasons
        left aside (a recalculation batch over a date range): the settlements replayed, in discharge
        order, and the replay; None when the reasons reach no settled settlement. Raises
        ReplayRefused. Writes nothing."""
        read = await self._read(id_number, reasons, with_pending=False)
        if read is None:
            return None
        return read.rows, await self._replay(read, id_number)

    async def _read(self, id_number: str, new: list[Reason], *, with_pending: bool = True) -> "Read | None":
        """The person's settlements, the pending proposal, and for the years to replay the balances and
        what each replayed settlement has put in, all in one snapshot: a settlement committed meanwhile
        is either in all of them or in none (else it would count as coming before the replay).
        `with_pending`: the replay follows the pending proposal's reasons too (the worker's)."""
        async with self.database.engine.connect() as connection:
            if self.database.is_postgresql:
                connection = await connection.execution_options(isolation_level="REPEATABLE READ")
            async with connection.begin():
                repository, ledger = CorrectionRepository(connection), LedgerRepository(connection)
                rows = await repository.settlements(id_number)
                pending = await repository.pending(id_number) if with_pending else None
                reasons = [*(Reason.of_json(r) for r in pending.reasons), *new] if pending is not None else new
                settlements = [CorrectionRepository.settled(row) for row in rows]
                first = rules.starts(reasons, settlements)
                if not first:
                    return None
                by_id = {row.id: row for row in rows}
                replayed = [by_id[s.id] for s in rules.replayed(settlements, first)]
                ids = [row.id for row in replayed]
                return Read(pending, reasons, first, replayed,
                            {year: await ledger.read(id_number, year) for year in sorted(first)},
                            await repository.contributions(ids), await repository.corrected(ids))

    async def _replay(self, read: "Read", id_number: str) -> Replay:
        rows, person_years, current = read.rows, read.person_years, read.current
        if any(row.calculation_input is None for row in rows):
            raise ReplayRefused("结算未保存计算输入 (a settlement recorded before its inputs were kept)")
        ids = [row.id for row in rows]
        patients = await asyncio.gather(*(lookups.patient(self.peers, id_number, row.discharged_on) for row in rows))
        grants: dict[tuple[date, date], tuple[Decimal, Decimal]] = {}
        async with self.database.autocommit.connect() as connection:
            ledger = LedgerRepository(connection)
            for patient in patients:
                window = patient.illness_poverty_window
                if window is not None and window not in grants:
                    grants[window] = await ledger.grant_totals(id_number, window, excluding=ids)
        starts = {year: rules.balances_before(person_years[year].balances,
                                              (current[row.id] for row in rows if row.year == year))
                  for year in person_years}
        body = {"chained": True, "items": [
            self._item(row, patient, starts[row.year], grants) for row, patient in zip(rows, patients, strict=True)]}
        answer = await self.peers.assistance.post("/v1/calculations:batch", body, idempotent=True)
        problems = [item["problem"] for item in answer["items"] if item["problem"] is not None]
        if problems:
            raise ReplayRefused(f"{problems[0]['code']}: {problems[0]['detail']}")
        results = [CalculationResult.model_validate(item["result"]) for item in answer["items"]]
        return self._figures(rows, results, starts, current, read.corrected,
                             {str(year): person_year.entries for year, person_year in person_years.items()})

    @staticmethod
    def _item(row: Row, patient: lookups.Patient, start: dict[str, Decimal],
              grants: dict[tuple[date, date], tuple[Decimal, Decimal]]) -> dict[str, Any]:
        """One calculation of the batch: the settlement's own input under the identities of its
        discharge date as now known (chaining gives every item after a year's first its balances)."""
        grant = None
        if patient.illness_poverty_window is not None:
            grant = patient.grant(*grants[patient.illness_poverty_window]).model_dump(mode="json")
        return {**row.calculation_input, "identities": [c.value for c in patient.identities],
                "year_to_date": year_to_date(start).model_dump(mode="json"), "illness_poverty_grant": grant}

    @staticmethod
    def _figures(
        rows: list[Row], results: list[CalculationResult], starts: dict[int, dict[str, Decimal]],
        current: dict[str, dict[str, Decimal]], corrected: dict[str, Row], ledger_versions: dict[str, int],
    ) -> Replay:
        figures: list[ItemFigures] = []
        items: list[dict[str, Any]] = []
        categories: set[str] = set()
        before: dict[int, dict[str, Any]] = {year: dict(start) for year, start in starts.items()}
        for position, (row, result) in enumerate(zip(rows, results, strict=True), start=1):
            after = result.year_to_date_after.model_dump()
            replay = rules.contribution(before[row.year], after)
            before[row.year] = after
            earlier = corrected.get(row.id)
            funds_before = ({k: Decimal(v) for k, v in earlier.funds_after.items()} if earlier is not None
                            else settled_funds(row))
            identity_before = earlier.identity_after if earlier is not None else row.identity_applied
            funds_after = {name: getattr(result, name) for name in rules.FUNDS}
            identity_after = result.identity_applied.value if result.identity_applied else None
            deltas = rules.adjustment(current[row.id], replay)
            figures.append(ItemFigures(row.id, funds_before, funds_after, deltas, identity_before, identity_after))
            categories |= {c for c in (identity_before, identity_after) if c}
            items.append({
                "position": position, "settlement_id": row.id, "year": row.year, "discharged_on": row.discharged_on,
                "identity_before": identity_before, "identity_after": identity_after,
                "funds_before": {k: str(v) for k, v in funds_before.items()},
                "funds_after": {k: str(v) for k, v in funds_after.items()},
                "accumulator_deltas": {k: str(v) for k, v in deltas.items()},
                "trace": [step.model_dump(mode="json", exclude_none=True) for step in result.trace],
                "assistance_difference": funds_after["assistance"] - funds_before["assistance"],
                "re_assistance_difference": funds_after["re_assistance"] - funds_before["re_assistance"],
            })
        return Replay(Outcome(figures), items, ledger_versions, categories)

    # reading

    async def get(self, proposal_id: str) -> Proposal:
        async with self.database.autocommit.connect() as connection:
            repository = CorrectionRepository(connection)
            row = await repository.get(proposal_id)
            if row is None:
                raise proposal_not_found()
            return view(row, await repository.items(proposal_id),
                        await StateChangeRepository(connection).of(ENTITY, proposal_id),
                        await repository.payment_record(proposal_id))

    async def listing(self, *, status: str | None, id_number: str | None, limit: int, offset: int) -> list[Proposal]:
        async with self.database.autocommit.connect() as connection:
            repository = CorrectionRepository(connection)
            rows = await repository.listing(status=status, id_number=id_number, limit=limit, offset=offset)
            ids = [row.id for row in rows]  # a page's items, history and payments: three statements, not three a row
            items, payments = await repository.items_of(ids), await repository.payment_records(ids)
            histories = await StateChangeRepository(connection).of_each(ENTITY, ids)
        return [view(row, items[row.id], histories[row.id], payments.get(row.id)) for row in rows]

    async def person_payments(self, principal: Principal, *, done: bool | None, kind: str | None,
                              id_number: str | None, limit: int, offset: int) -> list[PersonPayment]:
        """What approved proposals leave to pay the persons or recover from them, oldest approval first."""
        async with self.database.autocommit.connect() as connection:
            rows = await CorrectionRepository(connection).person_payments(
                done=done, kind=kind, id_number=id_number, limit=limit, offset=offset)
        return [_person_payment(row, principal) for row in rows]

    # the agency's write path

    async def decide(self, proposal_id: str, principal: Principal, *, approve: bool, reason: str) -> None:
        """Approve (adjustment entries, every decrease of a year before any increase) or reject, once."""
        async with self.database.engine.begin() as connection:
            repository, ledger = CorrectionRepository(connection), LedgerRepository(connection)
            proposal = await repository.get(proposal_id, lock=True)
            if proposal is None:
                raise proposal_not_found()
            if principal.agency not in proposal.agencies:
                raise not_deciding_agency()
            if rules.refusal(proposal.status) is not None:
                raise refused(proposal.status)
            now = datetime.now(UTC)
            payment = None
            if approve:
                first_discharge = await self._book(repository, ledger, proposal)
                payment = rules.payment(proposal.paid_to_person)
                # An event: outside systems learn of it, and a proposal computed meanwhile on the
                # balances before it is computed again.
                await ChangeRepository(connection).add(corrected(
                    proposal.id_number, proposal_id, first_discharge, now, str(proposal.paid_to_person)))
            status = rules.APPROVED if approve else rules.REJECTED
            if not await repository.decide(proposal_id, status, {
                    "decided_at": now, "decided_by": principal.subject, "decided_by_agency": principal.agency,
                    "decision_reason": reason, "payment": payment}):
                raise refused(rules.SUPERSEDED)  # the worker superseded it meanwhile (it does not lock the row)
            await _audit(connection, proposal_id, now, principal.subject, status, rules.PENDING, reason)

    # the agency's record of the money

    async def record_payment(self, proposal_id: str, body: PaymentRequest,
                             principal: Principal) -> tuple[PersonPayment, bool]:
        """Record that an approved proposal's money was paid to the person or recovered, in full, once;
        the same record again is answered as the first (True: a replay), another is a 409."""
        async with self.database.engine.begin() as connection:
            repository = CorrectionRepository(connection)
            proposal = await repository.get(proposal_id, lock=True)  # two recorders: the second sees the first's
            if proposal is None:
                raise proposal_not_found()
            if principal.agency not in proposal.agencies:
                raise not_deciding_agency()
            replayed = await self._recorded_as(repository, proposal_id, body)
            if not replayed:
                if not rules.payment_due(proposal.status, proposal.payment):
                    raise payment_not_due()
                if body.amount != abs(proposal.paid_to_person):
                    raise payment_amount_mismatch()
                if not proposal.decided_at.astimezone(SHANGHAI).date() <= body.done_on <= today():
                    raise done_on_out_of_range()
                now = datetime.now(UTC)
                if not await repository.add_payment(
                        proposal_id=proposal_id, kind=proposal.payment, amount=body.amount, done_on=body.done_on,
                        reference=body.reference, note=body.note, recorded_at=now, recorded_by=principal.subject,
                        recorded_by_agency=principal.agency):
                    raise payment_recorded()
                await StateChangeRepository(connection).record(
                    at=now, actor=principal.subject, action=rules.payment_done(proposal.payment), entity=ENTITY,
                    entity_key=proposal_id, before={"status": proposal.status}, after={
                        "status": proposal.status, "amount": str(body.amount), "done_on": body.done_on.isoformat(),
                        "reference": body.reference, "reason": body.note or body.reference})
            [row] = await repository.person_payments(done=None, kind=None, id_number=None, proposal_id=proposal_id)
        return _person_payment(row, principal), replayed

    @staticmethod
    async def _recorded_as(repository: CorrectionRepository, proposal_id: str, body: PaymentRequest) -> bool:
        """Whether this very record is there already (a retry); another record there is a 409."""
        recorded = await repository.payment_record(proposal_id)
        if recorded is not None and (recorded.amount, recorded.done_on, recorded.reference, recorded.note) != (
                body.amount, body.done_on, body.reference, body.note):
            raise payment_recorded()
        return recorded is not None

    @staticmethod
    async def _book(repository: CorrectionRepository, ledger: LedgerRepository, proposal: Row) -> date:
        """Append the adjustment entries; the first discharge they concern."""
        items = await repository.items(proposal.id)
        for year in proposal.years:  # locks in year order: two approvals of one person wait, never deadlock
            read = await ledger.read(proposal.id_number, year, lock=True)
            if read.entries != proposal.ledger_versions[str(year)]:
                raise proposal_outdated()
        for year in proposal.years:
            of_year = [item for item in items if item.year == year]
            decreases = [(item.settlement_id, rules.split_by_sign(_deltas(item))[0]) for item in of_year]
            increases = [(item.settlement_id, rules.split_by_sign(_deltas(item))[1]) for item in of_year]
            for settlement_id, deltas in decreases + increases:
                if deltas:
                    read = await ledger.read(proposal.id_number, year)
                    booked = await ledger.append(read, settlement_id, "adjustment", deltas, {})
                    assert booked is not None, "the person-year is locked: it cannot have moved"
        await ledger.move_grants(proposal.id_number)
        return min(item.discharged_on for item in items)


ENTITY = "correction_proposal"
"""The proposals' state changes in the audit (`state_changes`)."""


async def _audit(connection: AsyncConnection, proposal_id: str, at: datetime, actor: str, status: str,
                 before: str | None, reason: str) -> None:
    await StateChangeRepository(connection).record(
        at=at, actor=actor, action=status, entity=ENTITY, entity_key=proposal_id,
        before=None if before is None else {"status": before}, after={"status": status, "reason": reason})


def _record(row: Row) -> PaymentRecord | None:
    """A payment's record from its row (or from a person-payments row: none when not recorded)."""
    if row.recorded_at is None:
        return None
    return PaymentRecord(done_on=row.done_on, reference=row.reference, note=row.note, recorded_at=row.recorded_at,
                         recorded_by=row.recorded_by, agency=row.recorded_by_agency)


def _person_payment(row: Row, principal: Principal) -> PersonPayment:
    record = _record(row)
    return PersonPayment(
        proposal_id=row.id, id_number=principal.visible_id_number(row.id_number), kind=row.payment,
        amount=abs(row.paid_to_person), assistance_difference=row.assistance,
        re_assistance_difference=row.re_assistance, decided_at=row.decided_at,
        decided_by_agency=row.decided_by_agency,
        status="due" if record is None else rules.payment_done(row.payment), record=record)


def view(row: Row, items: list[Row], history: list[Row], payment: Row | None) -> Proposal:
    decision = None if row.decided_at is None else Decision(
        decided_at=row.decided_at, decided_by=row.decided_by, agency=row.decided_by_agency,
        reason=row.decision_reason, payment=row.payment)
    return Proposal(
        id=row.id, id_number=row.id_number, status=row.status, reasons=row.reasons, years=row.years,
        agencies=row.agencies, paid_to_person=row.paid_to_person, payment=row.payment, created_at=row.created_at,
        superseded_by=row.superseded_by, decision=decision,
        payment_record=None if payment is None else _record(payment),
        items=[ProposalItem(
            position=item.position, settlement_id=item.settlement_id, year=item.year,
            discharged_on=item.discharged_on, identity_before=item.identity_before,
            identity_after=item.identity_after, funds_before=item.funds_before, funds_after=item.funds_after,
            differences={name: Decimal(item.funds_after[name]) - Decimal(item.funds_before[name])
                         for name in rules.FUNDS},
            accumulator_deltas=item.accumulator_deltas, trace=item.trace) for item in items],
        history=[HistoryEntry(at=h.at, actor=h.actor, action=h.action, reason=(h.after or {}).get("reason"))
                 for h in history],
    )


def _same(pending: list[Row], replayed: list[dict[str, Any]]) -> bool:
    """The pending proposal already says what the replay says (an event that changes nothing more,
    e.g. the settled event of a settlement it already holds): it stands."""
    def key(item: Any) -> tuple[Any, ...]:
        get = item.get if isinstance(item, dict) else lambda name: getattr(item, name)
        return get("settlement_id"), get("identity_after"), get("funds_after"), get("accumulator_deltas")
    return [key(i) for i in pending] == [key(i) for i in replayed]


def _deltas(item: Row) -> dict[str, Decimal]:
    return {name: Decimal(amount) for name, amount in item.accumulator_deltas.items()}

