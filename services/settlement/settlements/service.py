"""The discharge settlement (docs/design.md "The discharge settlement, step by step").

1. Claim the HIS serial (the idempotency record) and read the person-year balances, committed at
   once (`store.claim`). The claim is given back if the settlement fails or passes its deadline; a
   claim whose process died is taken over after `repository.CLAIM_LEASE`.
2. Ask registry and catalog, outside any transaction; call assistance once with the balances (and,
   under an illness-poverty grant, what the grant has used, whatever the year).
3. All or nothing (`store.record`): move the person-year balances if they are still the ones read
   (the UPDATE takes the row lock; else read again and go back to 2), under a grant move its version
   the same way, append the ledger entries, store the statement. No lock is held across an HTTP call.

Each store statement's time counts to the request's Server-Timing (shared.server_timing), as each peer call's does.
"""

import asyncio
import contextlib
import hashlib
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from services.settlement import lookups
from services.settlement.audit.repository import LookupAuditRepository
from services.settlement.changes.repository import ChangeRepository
from services.settlement.changes.rules import cancelled
from services.settlement.fund.rules import drawing_region
from services.settlement.ledger.models import ACCUMULATORS
from services.settlement.ledger.repository import LedgerRepository, PersonYear
from services.settlement.lookups import Patient
from services.settlement.manual_claims.repository import ManualClaimRepository
from services.settlement.manual_claims.rules import Status as ClaimStatus
from services.settlement.manual_claims.rules import claim_id_of, paid_claim_not_cancellable
from services.settlement.peers import Peers
from services.settlement.settlements.chronic import ensure_chronic_filing
from services.settlement.settlements.funds import FUND_LABELS, OCCASIONAL_FUNDS
from services.settlement.settlements.repository import SettlementRepository
from services.settlement.settlements.schemas import (
    BillSplit,
    Cancellation,
    CancellationNote,
    CancelRequest,
    FundLine,
    LedgerLine,
    PreviewRequest,
    PreviewStatement,
    SettlementRequest,
    Statement,
)
from services.settlement.settlements.store import GrantRead, settlement_store
from shared import server_timing
from shared.auth import Principal, ensure_hospital_access
from shared.categories import Category, InsuranceType
from shared.contracts.calculation import Bill, CalculationRequest, CalculationResult, IllnessPovertyGrant, YearToDate
from shared.contracts.items import (
    Classification,
    ClassifiedLine,
    ClassifyRequest,
    ItemizedBill,
    check_fee_lines,
    problem_extra,
)
from shared.db import Database
from shared.errors import Conflict, Forbidden, NotFound, ServiceUnavailable, Unprocessable, field_errors
from shared.http_client import RemoteProblem
from shared.id_number import mask
from shared.rate_limit import RateLimiter

INSURANCE_TYPE_NAMES = {InsuranceType.EMPLOYEE: "职工医保", InsuranceType.RESIDENT: "居民医保"}


def ensure_registered_insurance_type(request: SettlementRequest, patient: Patient) -> None:
    """The registry's insurance type decides the funds and their rates: a HIS that says otherwise
    (a stale card, a mistyped field) is refused rather than settled under the wrong scheme."""
    registered = patient.insurance_type
    if registered is not None and registered != request.insurance_type:
        sent = request.insurance_type
        raise Unprocessable(
            f"险种与登记不符：HIS为{INSURANCE_TYPE_NAMES[sent]}，救助对象登记为{INSURANCE_TYPE_NAMES[registered]}"
            f" (insurance type mismatch: the HIS sent {sent.value}, the registry has {registered.value})",
            code="insurance_type_mismatch",
        )


def cancellation_note(row: Row) -> CancellationNote | None:
    if row.cancelled_at is None:
        return None
    return CancellationNote(cancelled_at=row.cancelled_at, reason=row.cancel_reason, cancelled_by=row.cancelled_by,
                            operator=row.cancelled_by_operator)


def check_bill_form(request: SettlementRequest) -> None:
    """A summary or fee lines, never both (which would the statement believe?), never neither."""
    if request.bill is not None and request.fee_details is not None:
        raise Unprocessable("费用汇总与费用明细只能二选一 (send the bill in summary or its fee lines, not both)",
                            code="bill_summary_and_lines")
    if request.bill is None and request.fee_details is None:
        raise Unprocessable("缺少费用：bill 或 fee_details (no bill: send bill or fee_details)", code="bill_missing")
    if request.fee_details is not None:
        check_fee_lines(request.fee_details.lines)


def request_hash(request: SettlementRequest) -> str:
    # A summary bill hashes as before fee_details existed: a retry across the upgrade still replays.
    exclude = {"fee_details"} if request.fee_details is None else None
    return hashlib.sha256(request.model_dump_json(exclude=exclude).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class SettlementInputs:
    """What a settlement is computed from, asked of the peers once whatever the retries."""

    patient: Patient
    hospital: dict[str, Any]
    bill: Bill
    lines: list[ClassifiedLine] | None  # an itemized bill's lines as the catalog classified them


@dataclass(frozen=True, slots=True)
class Computation:
    result: CalculationResult
    under_grant: GrantRead | None  # the illness-poverty grant it was applied under, as read
    asked: dict[str, Any]  # the calculation request as sent (JSON)


def statement_fields(request: SettlementRequest, inputs: SettlementInputs, result: CalculationResult) -> dict[str, Any]:
    """A statement's figures, the same for a settlement and its preview."""
    # The four funds of every statement; special drugs and the large-expense subsidy when they paid.
    amounts = {name: getattr(result, name) for name in FUND_LABELS
               if name not in OCCASIONAL_FUNDS or getattr(result, name)}
    funds = [
        FundLine(fund=FUND_LABELS[name][1][request.insurance_type], label=FUND_LABELS[name][0], amount=amount)
        for name, amount in amounts.items()
    ]
    bill, lines = inputs.bill, inputs.lines
    return {
        "hospital_code": request.hospital_code, "id_number": mask(request.id_number),
        "medical_type": request.medical_type, "admitted_on": request.admitted_on,
        "discharged_on": request.discharged_on, "policy_id": result.policy_id,
        "identity_applied": result.identity_applied, "reason": inputs.patient.reason or result.reason,
        "total": bill.total, "policy_range": result.policy_range,
        "split": BillSplit(full_self_pay=bill.full_self_pay, over_limit_self_pay=bill.over_limit_self_pay,
                           pre_self_pay=bill.pre_self_pay, itemized_lines=len(lines) if lines is not None else None),
        "funds": funds, "fund_total": sum(amounts.values(), Decimal(0)), "other_payments": result.other_payments,
        "personal_share": result.personal_share, "year_to_date_after": result.year_to_date_after,
        "trace": result.trace,
    }


# Read again when a correction replays a settlement: the identities, balances and grant usage as now known.
_READ_AGAIN_ON_REPLAY = ("identities", "year_to_date", "illness_poverty_grant")


def calculation_input(asked: dict[str, Any]) -> dict[str, Any]:
    """What the calculation was asked (its JSON as sent), less what a replay reads again: kept with the
    settlement, so that a correction can replay it under the identities as now known."""
    return {name: value for name, value in asked.items() if name not in _READ_AGAIN_ON_REPLAY}


def preview_timeout() -> ServiceUnavailable:
    return ServiceUnavailable("预结算超时，请稍后重试 (the preview took too long; retry)", code="preview_timeout",
                              retry_after=1)


def ensure_own_hospital(principal: Principal, hospital_code: str) -> None:
    if not principal.sees_hospital(hospital_code):
        raise Forbidden(
            "令牌所属医院与结算医院不一致 (the token belongs to another hospital)", code="hospital_mismatch"
        )


class SettlementFlow:
    def __init__(
        self, database: Database, peers: Peers, *, lookup_limiter: RateLimiter, deadline_seconds: float,
        max_attempts: int,
    ) -> None:
        """`lookup_limiter`: per hospital (lookups.allow_lookup); `deadline_seconds`, `max_attempts`: see
        `SettlementSettings`."""
        self.database = database
        self.peers = peers
        self.lookup_limiter = lookup_limiter
        self.deadline_seconds = deadline_seconds
        self.max_attempts = max_attempts
        self.hospitals = lookups.HospitalCache()
        self.store = settlement_store(database)
        # Settlements holding a claim: a shutdown waits for them (`drain`) before the database goes.
        self._claimed = 0
        self._none_claimed = asyncio.Event()
        self._none_claimed.set()

    async def settle(
        self, request: SettlementRequest, principal: Principal, manual_hospital: dict[str, Any] | None = None,
    ) -> tuple[str, bool]:
        """(statement JSON, whether it is a replay): a new statement, or the stored one for a retry.
        `manual_hospital`: a manual (零星) claim's hospital as staff entered it (its region and level, and
        `approved_outside_region` for care outside the district approved beforehand), settled on channel
        `manual` without asking the catalog (the care did not go through the network)."""
        ensure_own_hospital(principal, request.hospital_code)
        # Before the claim, so a refused request writes nothing (a replay, which looks nobody up,
        # counts too: the limit is far above what a HIS retries).
        lookups.allow_lookup(self.lookup_limiter, request.hospital_code)
        check_bill_form(request)
        fingerprint = request_hash(request)
        settlement_id = uuid.uuid4().hex
        with server_timing.database():
            person_year = await self.store.claim(settlement_id, fingerprint, request, principal.subject,
                                                 channel="his" if manual_hospital is None else "manual")
        if person_year is None:
            with server_timing.database():
                async with self.database.autocommit.connect() as connection:
                    existing = await SettlementRepository(connection).by_serial(
                        request.hospital_code, request.his_serial)
            return self._replay(existing, fingerprint), True
        deadline = asyncio.timeout(self.deadline_seconds)
        self._claimed += 1
        self._none_claimed.clear()
        try:
            async with deadline:
                return await self._settle_claimed(settlement_id, request, person_year, manual_hospital), False
        except BaseException as exc:
            # Also when cancelled (a shutdown past its grace period): the serial is given back.
            async with self.database.autocommit.connect() as connection:
                await SettlementRepository(connection).release(settlement_id)
            if deadline.expired():
                raise ServiceUnavailable(
                    "结算超时，请稍后以同一流水号重试 (the settlement took too long; retry with the same serial)",
                    code="settlement_timeout", retry_after=1,
                ) from exc
            raise
        finally:
            self._claimed -= 1
            if not self._claimed:
                self._none_claimed.set()

    async def drain(self, seconds: float) -> None:
        """Wait (at most `seconds`) until no settlement holds a claim: at shutdown, after the server
        has cancelled what was still running, so that each gives its serial back before the database
        is closed (else the serial waits out the claim lease)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._none_claimed.wait()

    @staticmethod
    def _replay(existing: Row | None, request_hash: str) -> str:
        if existing is not None and existing.request_hash != request_hash:
            raise Unprocessable(
                "该流水号已用于另一笔不同的结算 (this serial number was used for a different settlement)",
                code="idempotency_key_reused",
            )
        if existing is not None and existing.status == "cancelled":
            raise Conflict(
                "该流水号的结算已撤销，重新结算请使用新的流水号"
                " (this settlement was cancelled; settle again with a new serial)",
                code="settlement_cancelled",
            )
        # None: claimed by another request and released again in between
        if existing is None or existing.status == "in_progress" or existing.statement is None:
            raise Conflict(
                "该流水号正在结算中，请稍后重试 (this serial number is being settled; retry shortly)",
                code="settlement_in_progress", headers={"Retry-After": "1"},
            )
        return existing.statement

    async def _grant(
        self, request: SettlementRequest, patient: Patient,
    ) -> tuple[IllnessPovertyGrant, GrantRead] | None:
        """The illness-poverty grant in force, with what it has used so far and the version that was
        read with it (read afresh each attempt)."""
        window = patient.illness_poverty_window
        if window is None:
            return None
        with server_timing.database():
            async with self.database.autocommit.connect() as connection:
                ledger = LedgerRepository(connection)
                version = await ledger.grant_version(request.id_number, window[0])
                base, paid = await ledger.grant_totals(request.id_number, window)
        return patient.grant(base, paid), GrantRead(window[0], version)

    async def _classify(self, fee_details: ItemizedBill, discharged_on: date) -> Classification:
        """The catalog's split of the fee lines, each by the catalog of its date (default the discharge)."""
        body = ClassifyRequest(service_date=discharged_on, lines=fee_details.lines)
        try:
            answer = await self.peers.catalog.post("/v1/items:classify", body.model_dump(mode="json"), idempotent=True)
        except RemoteProblem as exc:
            if exc.remote_status == 422:
                raise Unprocessable(exc.remote_detail, code=exc.remote_code,
                                    extra=problem_extra(exc.remote_problem)) from exc
            raise
        return Classification.model_validate(answer)

    @staticmethod
    def _bill(request: SettlementRequest, classified: Classification | None) -> Bill:
        if classified is None:
            assert request.bill is not None, "check_bill_form"
            return request.bill
        assert request.fee_details is not None
        try:
            return request.fee_details.summary(classified)
        except ValidationError as exc:  # e.g. refunds beyond the charges, or paid amounts beyond the policy range
            errors = field_errors(exc)
            raise Unprocessable(errors[0]["msg"], code="validation_failed", extra={"errors": errors}) from exc

    async def _calculate(
        self, request: SettlementRequest, inputs: SettlementInputs, ytd: YearToDate, grant: IllnessPovertyGrant | None,
    ) -> tuple[CalculationResult, dict[str, Any]]:
        """The result, and the request as sent (JSON)."""
        hospital = inputs.hospital
        asked = CalculationRequest(
            region_code=inputs.patient.region_code or hospital["region"]["code"],
            hospital_region_code=hospital["region"]["code"],
            approved_outside_region=hospital.get("approved_outside_region", False),
            insurance_type=request.insurance_type, medical_type=request.medical_type,
            hospital_level=hospital.get("level"), discharged_on=request.discharged_on,
            identities=inputs.patient.identities, bill=inputs.bill, disease_class=request.disease_class,
            cause=request.cause, year_to_date=ytd, illness_poverty_grant=grant,
        ).model_dump(mode="json")
        try:
            answer = await self.peers.assistance.post("/v1/calculations", asked, idempotent=True)
        except RemoteProblem as exc:
            if exc.remote_status == 422:
                raise Unprocessable(exc.remote_detail, code=exc.remote_code) from exc
            raise
        return CalculationResult.model_validate(answer), asked

    async def _inputs(
        self, request: SettlementRequest, manual_hospital: dict[str, Any] | None = None,
    ) -> SettlementInputs:
        """Who the patient is, the hospital and the bill, asked of the peers at once."""
        calls = [
            lookups.patient(self.peers, request.id_number, request.discharged_on),
            lookups.designated_hospital(self.peers, request.hospital_code, request.discharged_on, self.hospitals)
            if manual_hospital is None else asyncio.sleep(0, manual_hospital),  # as entered: no look-up
        ]
        if request.fee_details is not None:  # a summary bill costs no third task
            calls.append(self._classify(request.fee_details, request.discharged_on))
        patient, hospital, *itemized = await asyncio.gather(*calls)
        classified = itemized[0] if itemized else None
        ensure_registered_insurance_type(request, patient)
        if manual_hospital is None:  # by hand is how care without a filing is claimed (003 §9.1)
            lookups.ensure_filed_if_out_of_region(patient, request.hospital_code, hospital["region"]["code"])
            await ensure_chronic_filing(self.peers, request.id_number, request.medical_type, request.hospital_code,
                                        request.discharged_on, patient)
        return SettlementInputs(patient, hospital, self._bill(request, classified),
                                classified.lines if classified is not None else None)

    async def _compute(self, request: SettlementRequest, inputs: SettlementInputs, ytd: YearToDate) -> Computation:
        """What the settlement pays on the balances read: the one computation of a settlement and a preview."""
        grant, grant_read = await self._grant(request, inputs.patient) or (None, None)
        result, asked = await self._calculate(request, inputs, ytd, grant)
        return Computation(result, grant_read if result.identity_applied == Category.ILLNESS_POVERTY else None, asked)

    async def _settle_claimed(
        self, settlement_id: str, request: SettlementRequest, person_year: PersonYear,
        manual_hospital: dict[str, Any] | None,
    ) -> str:
        inputs = await self._inputs(request, manual_hospital)
        fund_region = drawing_region(inputs.patient.region_code, inputs.hospital["region"]["code"])
        for attempt in range(self.max_attempts):
            if attempt:
                await asyncio.sleep(random.uniform(0, 0.01 * min(attempt, 10)))
                with server_timing.database():
                    person_year = await self.store.read(person_year.id_number, person_year.year)
            ytd = person_year.year_to_date()
            computed = await self._compute(request, inputs, ytd)
            result = computed.result
            after = result.year_to_date_after
            deltas = {name: Decimal(getattr(after, name)) - Decimal(getattr(ytd, name)) for name in ACCUMULATORS}
            settled_at = datetime.now(UTC)
            statement = Statement(settlement_id=settlement_id, status="settled", his_serial=request.his_serial,
                                  settled_at=settled_at, **statement_fields(request, inputs, result)).model_dump_json()
            kept_input = calculation_input(computed.asked)
            with server_timing.database():
                recorded = await self.store.record(person_year, settlement_id, deltas, result.annual_caps, settled_at,
                                                   statement, inputs.bill, result, computed.under_grant, inputs.lines,
                                                   fund_region, kept_input)
            if recorded:
                return statement
            # a concurrent settlement of the same person (or under the same grant) moved what was read:
            # compute again
        raise ServiceUnavailable(
            "该参保人同时有多笔结算，请稍后重试 (concurrent settlements of this person; retry)",
            code="person_busy", retry_after=1,
        )

    async def preview(self, request: PreviewRequest, principal: Principal) -> PreviewStatement:
        """预结算 (like NHSA 2303): the statement a settlement would give now, on the balances as they
        stand. Nothing is claimed, booked or stored; the person's look-up is limited and audited as
        any other (purpose `preview`)."""
        ensure_own_hospital(principal, request.hospital_code)
        lookups.allow_lookup(self.lookup_limiter, request.hospital_code)
        check_bill_form(request)
        async with self.database.engine.begin() as connection:
            await LookupAuditRepository(connection).record(
                at=datetime.now(UTC), actor=principal.subject, hospital_code=request.hospital_code,
                id_number=request.id_number, purpose="preview", reference="",
            )
        try:
            async with asyncio.timeout(self.deadline_seconds):
                inputs = await self._inputs(request)
                person_year = await self.store.read(request.id_number, request.discharged_on.year)
                result = (await self._compute(request, inputs, person_year.year_to_date())).result
        except TimeoutError as exc:
            raise preview_timeout() from exc
        return PreviewStatement(previewed_at=datetime.now(UTC), **statement_fields(request, inputs, result))

    async def cancel(self, settlement_id: str, principal: Principal, request: CancelRequest) -> Cancellation:
        async with self.database.autocommit.connect() as connection:
            found = await SettlementRepository(connection).by_id(settlement_id)
        if found is None:
            raise NotFound("未找到该结算 (no such settlement)", code="settlement_not_found")
        ensure_hospital_access(principal, found.hospital_code, code="settlement_not_found")
        async with self.database.engine.begin() as connection:
            settlements, ledger = SettlementRepository(connection), LedgerRepository(connection)
            # Locks in one order, the person-year before any of its settlements: two cancels of one
            # person (each flags the other's settlement for recalculation) then wait for each other
            # instead of deadlocking.
            await ledger.read(found.id_number, found.year, lock=True)
            if found.channel == "manual":
                await self._close_manual_claim(connection, found.his_serial)
            row = await settlements.mark_cancelled(
                settlement_id, datetime.now(UTC),
                reason=request.reason, cancelled_by=principal.subject, operator=request.operator,
            )
            if row is None:
                raise Conflict("该结算已撤销或尚未结算完成，不能撤销 (only a settled settlement can be cancelled)",
                               code="settlement_not_cancellable")
            # Read after that write: on SQLite it holds the database's write lock, so nothing can move
            # the balances any more (on PostgreSQL the row lock above already does).
            person_year = await ledger.read(row.id_number, row.year)
            originals = await ledger.entries_of(row.id, "settlement")
            reversed_entries = await ledger.append(
                person_year, row.id, "reversal", {entry.accumulator: -entry.amount for entry in originals}, {},
            )
            assert reversed_entries is not None, "the person-year is locked: it cannot have moved"
            later = await settlements.mark_later_for_recalculation(row)
            await ChangeRepository(connection).add(cancelled(row, row.cancelled_at))
            return Cancellation(
                settlement_id=row.id, status="cancelled", cancellation=cancellation_note(row),
                reversed=[LedgerLine(accumulator=e.accumulator, amount=e.amount, balance_after=e.balance_after)
                          for e in reversed_entries],
                year_to_date_after=(await ledger.read(row.id_number, row.year)).year_to_date(),
                marked_for_recalculation=later,
            )

    @staticmethod
    async def _close_manual_claim(connection: AsyncConnection, serial: str) -> None:
        """A manual claim whose settlement is cancelled is closed with it (unpaid), or the cancellation
        is refused (paid): the claim never points at a settlement that no longer counts."""
        claim_id = claim_id_of(serial)
        if claim_id is not None and await ManualClaimRepository(connection).close_for_cancellation(
                claim_id) == ClaimStatus.PAID:
            raise paid_claim_not_cancellable()
