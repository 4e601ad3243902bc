"""Every query of the corrections: the person's settlements and what each has put into the ledger,
the received changes still to take up, the proposals with their settlements and history, and the
money approved proposals leave to pay or recover."""

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.settlement.changes.models import ReceivedChangeRow
from services.settlement.corrections.models import CorrectionItemRow, CorrectionPaymentRow, CorrectionProposalRow
from services.settlement.corrections.rules import APPROVED, FUNDS, MONEY_MOVES, PENDING, SUPERSEDED, ZERO, Settled
from services.settlement.ledger.models import LedgerEntryRow
from services.settlement.settlements.models import SettlementRow
from shared.db import insert_unless_exists, one_of

_SETTLEMENTS = SettlementRow.__table__
_ENTRIES = LedgerEntryRow.__table__
_RECEIVED = ReceivedChangeRow.__table__
_PROPOSALS = CorrectionProposalRow.__table__
_ITEMS = CorrectionItemRow.__table__
_PAYMENTS = CorrectionPaymentRow.__table__


def settled_funds(row: Row) -> dict[str, Decimal]:
    """A settlement's figures as settled (a fund a settlement recorded before it was kept did not pay)."""
    return {name: getattr(row, name) or ZERO for name in FUNDS}


class CorrectionRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    # the person's settlements and the ledger

    async def settlements(self, id_number: str) -> list[Row]:
        """Every settled or cancelled settlement of the person (with its calculation input and statement)."""
        return list(await self.connection.execute(
            select(_SETTLEMENTS).where(_SETTLEMENTS.c.id_number == id_number, _SETTLEMENTS.c.status != "in_progress")))

    @staticmethod
    def settled(row: Row) -> Settled:
        return Settled(row.id, row.year, row.discharged_on, row.settled_at, row.status)

    async def contributions(self, settlement_ids: list[str]) -> dict[str, dict[str, Decimal]]:
        """What each settlement has put into each accumulator so far: its entries, adjustments included."""
        rows = await self.connection.execute(
            select(_ENTRIES.c.settlement_id, _ENTRIES.c.accumulator, func.sum(_ENTRIES.c.amount))
            .where(_ENTRIES.c.settlement_id.in_(settlement_ids))
            .group_by(_ENTRIES.c.settlement_id, _ENTRIES.c.accumulator))
        found: dict[str, dict[str, Decimal]] = {sid: {} for sid in settlement_ids}
        for settlement_id, accumulator, total in rows:
            found[settlement_id][accumulator] = Decimal(total)
        return found

    async def corrected(self, settlement_ids: list[str]) -> dict[str, Row]:
        """The latest approved correction of each settlement that has one (its figures and identity now)."""
        proposals = _PROPOSALS
        rows = await self.connection.execute(
            select(_ITEMS).join(proposals, proposals.c.id == _ITEMS.c.proposal_id)
            .where(_ITEMS.c.settlement_id.in_(settlement_ids), proposals.c.status == APPROVED)
            .order_by(proposals.c.decided_at))
        return {row.settlement_id: row for row in rows}

    # received changes

    async def unhandled(self, limit: int) -> list[Row]:
        return list(await self.connection.execute(
            select(_RECEIVED).where(_RECEIVED.c.handled_at.is_(None))
            .order_by(_RECEIVED.c.received_at, _RECEIVED.c.source, _RECEIVED.c.event_id).limit(limit)))

    async def mark_handled(self, source: str, event_id: int, at: datetime, outcome: str) -> None:
        await self.connection.execute(update(_RECEIVED).where(
            _RECEIVED.c.source == source, _RECEIVED.c.event_id == event_id, _RECEIVED.c.handled_at.is_(None),
        ).values(handled_at=at, outcome=outcome[:200]))

    # proposals

    async def pending(self, id_number: str) -> Row | None:
        return (await self.connection.execute(select(_PROPOSALS).where(
            _PROPOSALS.c.id_number == id_number, _PROPOSALS.c.status == PENDING))).first()

    async def supersede(self, proposal_id: str, by: str | None) -> bool:
        done = await self.connection.execute(update(_PROPOSALS).where(
            _PROPOSALS.c.id == proposal_id, _PROPOSALS.c.status == PENDING,
        ).values(status=SUPERSEDED, superseded_by=by))
        return done.rowcount == 1

    async def add(self, proposal: dict[str, Any], items: list[dict[str, Any]]) -> None:
        await self.connection.execute(insert(_PROPOSALS).values(**proposal))
        await self.connection.execute(insert(_ITEMS), items)

    async def decide(self, proposal_id: str, status: str, values: dict[str, Any]) -> bool:
        """Record the decision if the proposal is still pending (False: decided or superseded meanwhile)."""
        done = await self.connection.execute(update(_PROPOSALS).where(
            _PROPOSALS.c.id == proposal_id, _PROPOSALS.c.status == PENDING).values(status=status, **values))
        return done.rowcount == 1

    async def get(self, proposal_id: str, *, lock: bool = False) -> Row | None:
        """`lock`: hold the proposal until the transaction ends (two deciders: the second sees the first's)."""
        query = select(_PROPOSALS).where(_PROPOSALS.c.id == proposal_id)
        return (await self.connection.execute(query.with_for_update() if lock else query)).first()

    async def items(self, proposal_id: str) -> list[Row]:
        return (await self.items_of([proposal_id]))[proposal_id]

    async def items_of(self, proposal_ids: Sequence[str]) -> dict[str, list[Row]]:
        """Each proposal's items in order, in one statement (a page of proposals)."""
        items: dict[str, list[Row]] = {proposal_id: [] for proposal_id in proposal_ids}
        for row in await self.connection.execute(
            select(_ITEMS).where(one_of(self.connection.dialect.name, _ITEMS.c.proposal_id, proposal_ids))
            .order_by(_ITEMS.c.proposal_id, _ITEMS.c.position)
        ):
            items[row.proposal_id].append(row)
        return items

    async def listing(self, *, status: str | None, id_number: str | None, limit: int, offset: int) -> list[Row]:
        query = select(_PROPOSALS)
        if status is not None:
            query = query.where(_PROPOSALS.c.status == status)
        if id_number is not None:
            query = query.where(_PROPOSALS.c.id_number == id_number)
        return list(await self.connection.execute(
            query.order_by(_PROPOSALS.c.created_at.desc(), _PROPOSALS.c.id).limit(limit).offset(offset)))

    # the money to pay or recover

    async def add_payment(self, **values: Any) -> bool:
        """Record a proposal's payment; False when one is recorded already (nothing written)."""
        added = await self.connection.execute(
            insert_unless_exists(self.connection, _PAYMENTS, ("proposal_id",)).values(**values))
        return added.rowcount == 1

    async def payment_record(self, proposal_id: str) -> Row | None:
        return (await self.payment_records([proposal_id])).get(proposal_id)

    async def payment_records(self, proposal_ids: Sequence[str]) -> dict[str, Row]:
        return {row.proposal_id: row for row in await self.connection.execute(
            select(_PAYMENTS).where(one_of(self.connection.dialect.name, _PAYMENTS.c.proposal_id, proposal_ids)))}

    async def person_payments(self, *, done: bool | None, kind: str | None, id_number: str | None,
                              proposal_id: str | None = None, limit: int = 1, offset: int = 0) -> list[Row]:
        """The approved proposals that leave money to pay or recover, with their fund differences and
        their record if any, in approval order."""
        p, paid = _PROPOSALS.c, _PAYMENTS.c
        funds = (select(_ITEMS.c.proposal_id, func.sum(_ITEMS.c.assistance_difference).label("assistance"),
                        func.sum(_ITEMS.c.re_assistance_difference).label("re_assistance"))
                 .group_by(_ITEMS.c.proposal_id).subquery())
        query = (select(p.id, p.id_number, p.payment, p.paid_to_person, p.decided_at, p.decided_by_agency,
                        funds.c.assistance, funds.c.re_assistance, paid.done_on, paid.reference, paid.note,
                        paid.recorded_at, paid.recorded_by, paid.recorded_by_agency)
                 .select_from(_PROPOSALS.join(funds, funds.c.proposal_id == p.id)
                              .outerjoin(_PAYMENTS, paid.proposal_id == p.id))
                 .where(p.status == APPROVED, p.payment.in_(MONEY_MOVES)))
        if done is not None:
            query = query.where(paid.proposal_id.is_not(None) if done else paid.proposal_id.is_(None))
        if kind is not None:
            query = query.where(p.payment == kind)
        if id_number is not None:
            query = query.where(p.id_number == id_number)
        if proposal_id is not None:
            query = query.where(p.id == proposal_id)
        return list(await self.connection.execute(query.order_by(p.decided_at, p.id).limit(limit).offset(offset)))
