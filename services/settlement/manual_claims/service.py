"""The manual (零星) claim, from entry to payment. Its calculation is a settlement: once the claim is
complete, `SettlementFlow.settle` settles it on channel `manual` (serial `MC-<claim id>` at the
synthetic hospital code `MANUAL_HOSPITAL_CODE`), so it is computed by the same chain and booked in
the same ledger as a discharge, and the person's caps and year-to-date are shared."""

import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from services.settlement import lookups
from services.settlement.audit.repository import StateChangeRepository
from services.settlement.manual_claims.repository import ManualClaimRepository
from services.settlement.manual_claims.rules import (
    CHECKLISTS,
    DOCUMENT_LABELS,
    TOWNSHIP_REGIONS,
    Channel,
    Document,
    Status,
    claim_number,
    due_on,
    foreign_documents,
    is_overdue,
    missing,
    paid_claim_not_cancellable,
)
from services.settlement.manual_claims.schemas import (
    ClaimAsEntered,
    DocumentsUpdate,
    ManualClaim,
    ManualClaimRequest,
    MissingDocument,
    Payment,
)
from services.settlement.settlements.repository import SettlementRepository
from services.settlement.settlements.schemas import CancelRequest, SettlementRequest
from services.settlement.settlements.service import SettlementFlow, cancellation_note
from services.settlement.statements.layout import ClaimPrint
from shared.auth import Principal, Scope
from shared.clock import today
from shared.db import Database
from shared.errors import Conflict, NotFound, Unprocessable, field_errors
from shared.id_number import mask
from shared.regions import inside

# No hospital of the catalog has it (their codes are the 2018 list's and longer ones ops register):
# a manual claim's hospital may be anywhere, so its settlement is filed under this code, and a HIS
# never sees it.
MANUAL_HOSPITAL_CODE = "000000"
ENTITY = "manual_claim"


def claim_not_found() -> NotFound:
    return NotFound("未找到该手工报销申请 (no such manual claim)", code="manual_claim_not_found")


def person_not_registered() -> Unprocessable:
    return Unprocessable("救助对象登记中无此人 (no such person in the registry)", code="person_not_registered")


def invoices_do_not_match_bill() -> Unprocessable:
    return Unprocessable("票据金额合计与费用总额不符 (the invoices do not add up to the bill's total)",
                         code="invoices_do_not_match_bill")


def invoices_not_entered() -> Unprocessable:
    return Unprocessable("材料齐全时须录入票据 (enter the invoices of a complete claim)", code="invoices_not_entered")


def already_accepted() -> Conflict:
    return Conflict("该申请已受理，材料不能再变更 (the claim is already accepted)",
                    code="manual_claim_already_accepted")


def not_awaiting_calculation() -> Conflict:
    return Conflict("只有已受理且未计算的申请可以重新计算 (only an accepted, uncalculated claim is settled again)",
                    code="manual_claim_not_awaiting_calculation")


def already_approved() -> Conflict:
    return Conflict("该申请已审核 (the claim is already approved)", code="manual_claim_already_approved")


def not_calculated() -> Conflict:
    return Conflict("申请材料不全或尚未计算，不能审核 (the claim is incomplete or not calculated yet)",
                    code="manual_claim_not_calculated")


def claim_cancelled() -> Conflict:
    return Conflict("该申请的结算已撤销，申请已关闭；请重新录入"
                    " (the claim's settlement was cancelled: enter a new claim)", code="manual_claim_cancelled")


def already_paid() -> Conflict:
    return Conflict("该申请已支付 (the claim is already paid)", code="manual_claim_already_paid")


def not_approved() -> Conflict:
    return Conflict("申请尚未审核，不能支付 (the claim is not approved yet)", code="manual_claim_not_approved")


def paid_on_out_of_range() -> Unprocessable:
    return Unprocessable("支付日期须在受理日与今天之间 (paid_on must be between acceptance and today)",
                         code="paid_on_out_of_range")


def township_field_missing(field: str) -> Unprocessable:
    labels = {"office": "受理的镇（街）所", "approval_reference": "区外就医审批（转诊）编号", "passbook": "存折（卡）"}
    return Unprocessable(f"镇（街）渠道须填写{labels[field]} (a township claim needs {field})",
                         code=f"{field}_required", extra={"field": field})


def township_fields_on_window() -> Unprocessable:
    return Unprocessable("office、passbook 仅用于镇（街）渠道 (office and passbook are for township claims only)",
                         code="township_fields_on_window")


def township_not_for_region(region_code: str | None) -> Unprocessable:
    return Unprocessable(
        "镇（街）渠道仅受理台儿庄区救助对象 (the township channel is for Tai'erzhuang persons only)",
        code="township_channel_not_for_region", extra={"person_region_code": region_code})


def document_not_in_checklist(documents: list[Document], channel: Channel) -> Unprocessable:
    names = ", ".join(documents)
    return Unprocessable(f"该渠道的申办材料不含 {names} (not on the {channel} checklist: {names})",
                         code="document_not_in_checklist", extra={"documents": list(documents)})


def check_channel(claim: ManualClaimRequest) -> None:
    """What a channel needs entered: a township claim names its office, the approval of the care
    outside the district and the passbook it is paid into; a window claim has no office or passbook."""
    if claim.channel == Channel.TOWNSHIP:
        for field in ("office", "approval_reference", "passbook"):
            if getattr(claim, field) is None:
                raise township_field_missing(field)
    elif claim.office is not None or claim.passbook is not None:
        raise township_fields_on_window()
    foreign = foreign_documents(claim.documents, claim.channel)
    if foreign:
        raise document_not_in_checklist(foreign, claim.channel)


def settlement_request(claim_id: str, claim: ManualClaimRequest) -> SettlementRequest:
    """The claim as the settlement it becomes; checked as a discharge's would be (dates and all)."""
    try:
        return SettlementRequest(
            his_serial=claim_number(claim_id), hospital_code=MANUAL_HOSPITAL_CODE, id_number=claim.id_number,
            insurance_type=claim.insurance_type, medical_type=claim.medical_type, admitted_on=claim.admitted_on,
            discharged_on=claim.discharged_on, bill=claim.bill,
        )
    except ValidationError as exc:
        errors = field_errors(exc)
        raise Unprocessable(errors[0]["msg"], code="validation_failed", extra={"errors": errors}) from exc


def check_invoices(claim: ManualClaimRequest) -> None:
    if claim.invoices and sum((invoice.amount for invoice in claim.invoices), Decimal(0)) != claim.bill.total:
        raise invoices_do_not_match_bill()


def check_received_on(received_on: date, claim: ManualClaimRequest) -> None:
    if received_on > today():
        raise Unprocessable("受理日期晚于今天 (received_on is after today)", code="received_on_in_future")
    if received_on < claim.discharged_on:
        raise Unprocessable("受理日期早于出院日期 (received_on is before discharged_on)",
                            code="received_on_before_discharge")


class ManualClaimService:
    def __init__(self, database: Database, flow: SettlementFlow) -> None:
        self.database = database
        self.flow = flow

    async def create(self, claim: ManualClaimRequest, principal: Principal) -> ManualClaim:
        claim_id = uuid.uuid4().hex
        settlement_request(claim_id, claim)
        check_channel(claim)
        check_invoices(claim)
        patient = await lookups.patient(self.flow.peers, claim.id_number, claim.discharged_on)
        if not patient.registered:
            raise person_not_registered()
        if claim.channel == Channel.TOWNSHIP and not any(
                patient.region_code is not None and inside(patient.region_code, region) for region in TOWNSHIP_REGIONS):
            raise township_not_for_region(patient.region_code)
        complete = not missing(claim.documents, claim.channel)
        received_on = claim.received_on or today()
        if complete:
            self._check_complete(claim, received_on)
        async with self.database.engine.begin() as connection:
            await ManualClaimRepository(connection).add(
                id=claim_id, id_number=claim.id_number, request=claim.model_dump_json(), channel=claim.channel,
                office=claim.office,
                documents=json.dumps(claim.documents), created_at=datetime.now(UTC), created_by=principal.subject,
                status=Status.ACCEPTED if complete else Status.INCOMPLETE,
                accepted_on=received_on if complete else None, due_on=due_on(received_on) if complete else None,
            )
        if complete:
            await self._settle(claim_id, claim, principal)
        return await self.get(claim_id, principal)

    @staticmethod
    def _check_complete(claim: ManualClaimRequest, received_on: date) -> None:
        if not claim.invoices:
            raise invoices_not_entered()
        check_received_on(received_on, claim)

    async def add_documents(self, claim_id: str, update: DocumentsUpdate, principal: Principal) -> ManualClaim:
        """Materials brought afterwards; once none is missing the claim is accepted and settled."""
        row = await self._row(claim_id)
        if row.status != Status.INCOMPLETE:
            raise already_accepted()
        claim = ManualClaimRequest.model_validate_json(row.request)
        documents = {Document(name): received for name, received in json.loads(row.documents).items()}
        foreign = foreign_documents(update.documents, claim.channel)
        if foreign:
            raise document_not_in_checklist(foreign, claim.channel)
        documents |= update.documents
        complete = not missing(documents, claim.channel)
        received_on = update.received_on or today()
        if complete:
            self._check_complete(claim, received_on)
        async with self.database.engine.begin() as connection:
            moved = await ManualClaimRepository(connection).move(
                claim_id, Status.INCOMPLETE, documents=json.dumps(documents),
                **({"status": Status.ACCEPTED, "accepted_on": received_on, "due_on": due_on(received_on)}
                   if complete else {}),
            )
        if not moved:
            raise already_accepted()
        if complete:
            await self._settle(claim_id, claim, principal)
        return await self.get(claim_id, principal)

    async def settle_again(self, claim_id: str, principal: Principal) -> ManualClaim:
        """An accepted claim whose settlement failed (a peer down): the same serial, so never twice."""
        row = await self._row(claim_id)
        if row.status != Status.ACCEPTED:
            raise not_awaiting_calculation()
        await self._settle(claim_id, ManualClaimRequest.model_validate_json(row.request), principal)
        return await self.get(claim_id, principal)

    async def _settle(self, claim_id: str, claim: ManualClaimRequest, principal: Principal) -> None:
        hospital = {"region": {"code": claim.hospital.region_code}, "level": claim.hospital.level,
                    "approved_outside_region": claim.channel == Channel.TOWNSHIP}
        statement, _ = await self.flow.settle(settlement_request(claim_id, claim), principal, manual_hospital=hospital)
        async with self.database.engine.begin() as connection:
            await ManualClaimRepository(connection).move(
                claim_id, Status.ACCEPTED, status=Status.CALCULATED,
                settlement_id=json.loads(statement)["settlement_id"],
            )

    async def approve(self, claim_id: str, principal: Principal) -> ManualClaim:
        now = datetime.now(UTC)
        async with self.database.engine.begin() as connection:
            moved = await ManualClaimRepository(connection).move(
                claim_id, Status.CALCULATED, status=Status.APPROVED, approved_at=now, approved_by=principal.subject,
            )
            if moved:
                await _audit(connection, claim_id, principal, "approve", now, Status.CALCULATED,
                             {"status": Status.APPROVED.value})
        if not moved:
            row = await self._row(claim_id)
            if row.status in (Status.APPROVED, Status.PAID):
                raise already_approved()
            if row.status == Status.CANCELLED:
                raise claim_cancelled()
            raise not_calculated()
        return await self.get(claim_id, principal)

    async def pay(self, claim_id: str, payment: Payment, principal: Principal) -> ManualClaim:
        row = await self._row(claim_id)
        if row.status == Status.PAID:
            raise already_paid()
        if row.status == Status.CANCELLED:
            raise claim_cancelled()
        if row.status != Status.APPROVED:
            raise not_approved()
        if payment.paid_on > today() or payment.paid_on < row.accepted_on:
            raise paid_on_out_of_range()
        async with self.database.engine.begin() as connection:
            moved = await ManualClaimRepository(connection).move(
                claim_id, Status.APPROVED, status=Status.PAID, paid_on=payment.paid_on,
                payment_reference=payment.reference, paid_by=principal.subject,
            )
            if moved:
                await _audit(connection, claim_id, principal, "pay", datetime.now(UTC), Status.APPROVED, {
                    "status": Status.PAID.value, "paid_on": payment.paid_on.isoformat(),
                    "payment_reference": payment.reference})
        if not moved:  # paid, or its settlement cancelled, since it was read
            row = await self._row(claim_id)
            raise already_paid() if row.status == Status.PAID else claim_cancelled()
        return await self.get(claim_id, principal)

    async def cancel(self, claim_id: str, request: CancelRequest, principal: Principal) -> ManualClaim:
        """Cancel the claim's settlement (reversing its ledger entries, as any cancellation), which
        closes the claim; refused once paid."""
        row = await self._row(claim_id)
        if row.status == Status.PAID:
            raise paid_claim_not_cancellable()
        if row.status == Status.CANCELLED:
            raise claim_cancelled()
        if row.settlement_id is None:
            raise not_calculated()
        await self.flow.cancel(row.settlement_id, principal, request)
        return await self.get(claim_id, principal)

    async def get(self, claim_id: str, principal: Principal) -> ManualClaim:
        return view(await self._row(claim_id), principal)

    async def listing(self, principal: Principal, *, overdue: bool) -> list[ManualClaim]:
        async with self.database.autocommit.connect() as connection:
            rows = await ManualClaimRepository(connection).listing(overdue_on=today() if overdue else None)
        return [view(row, principal) for row in rows]

    async def printable(self, claim_id: str, principal: Principal) -> tuple[Row, ClaimPrint]:
        """The claim's settlement and what the claim adds to its printed statement; 409 before it is calculated."""
        claim = await self.get(claim_id, principal)
        if claim.settlement_id is None:
            raise not_calculated()
        async with self.database.autocommit.connect() as connection:
            settlement = await SettlementRepository(connection).by_id(claim.settlement_id)
        return settlement, claim_print(claim)

    async def _row(self, claim_id: str) -> Row:
        async with self.database.autocommit.connect() as connection:
            row = await ManualClaimRepository(connection).get(claim_id)
        if row is None:
            raise claim_not_found()
        return row


async def _audit(
    connection: AsyncConnection, claim_id: str, principal: Principal, action: str, at: datetime, before: Status,
    after: dict[str, str],
) -> None:
    """The state change, in the transaction that made it (as the period claims' are)."""
    await StateChangeRepository(connection).record(
        at=at, actor=principal.subject, action=action, entity=ENTITY, entity_key=claim_id,
        before={"status": before.value}, after=after)


STATUS_LABELS = {
    Status.INCOMPLETE: "材料不全", Status.ACCEPTED: "已受理，待计算", Status.CALCULATED: "已计算，待审核",
    Status.APPROVED: "已审核，待支付", Status.PAID: "已支付", Status.CANCELLED: "结算已撤销，申请关闭",
}


def claim_print(claim: ManualClaim) -> ClaimPrint:
    """The claim as its printed statement shows it (the passbook masked whoever prints it)."""
    entered = claim.claim
    channel = f"镇（街）所：{entered.office}" if entered.channel == Channel.TOWNSHIP else "医保经办窗口"
    passbook = entered.passbook
    return ClaimPrint(
        number=claim_number(claim.id), hospital_name=entered.hospital.name, channel=channel,
        entered_by=claim.created_by,
        status=STATUS_LABELS[claim.status], accepted_on=claim.accepted_on, due_on=claim.due_on,
        invoices=tuple((i.number, i.issued_on, i.amount) for i in entered.invoices),
        documents=tuple((DOCUMENT_LABELS[d].split("（")[0].split(" (")[0], claim.documents.get(d, False))
                        for d in CHECKLISTS[entered.channel]),
        payee="支付给本人" if passbook is None else f"划入存折：{passbook.bank} {mask(passbook.account)}",
        approval_reference=entered.approval_reference, paid_on=claim.paid_on,
        payment_reference=claim.payment_reference,
    )


def view(row: Row, principal: Principal) -> ManualClaim:
    documents = {Document(name): received for name, received in json.loads(row.documents).items()}
    channel = Channel(row.channel)
    entered = ClaimAsEntered.model_validate(
        ManualClaimRequest.model_validate_json(row.request).model_dump(exclude={"id_number"}))
    if entered.passbook is not None and not principal.has(Scope.PII_READ):  # masked as an ID number is
        entered = entered.model_copy(update={
            "passbook": entered.passbook.model_copy(update={"account": mask(entered.passbook.account)})})
    statement: dict[str, Any] | None = json.loads(row.statement) if row.statement else None
    if statement is not None:
        statement["status"] = row.settlement_status
        statement["cancellation"] = None if row.cancelled_at is None else cancellation_note(row).model_dump(mode="json")
    paid_out = None if row.assistance is None or row.status == Status.CANCELLED else (
        row.assistance + (row.re_assistance or Decimal(0)))
    return ManualClaim(
        id=row.id, status=Status(row.status), id_number=principal.visible_id_number(row.id_number),
        claim=entered,
        documents=documents,
        missing=[MissingDocument(document=d, label=DOCUMENT_LABELS[d]) for d in missing(documents, channel)],
        paid_to="passbook" if channel == Channel.TOWNSHIP else "person",
        created_at=row.created_at, created_by=row.created_by, accepted_on=row.accepted_on, due_on=row.due_on,
        overdue=is_overdue(Status(row.status), row.due_on, today()), settlement_id=row.settlement_id,
        assistance=paid_out, statement=statement, approved_at=row.approved_at, approved_by=row.approved_by,
        paid_on=row.paid_on, payment_reference=row.payment_reference, paid_by=row.paid_by,
    )
