from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from services.settlement.database import Base, Yuan
from shared.db import UtcDateTime


class CorrectionProposalRow(Base):
    """What a late change would make a person's settlements pay: computed by the worker, decided by an
    agency. A proposal never edits a settlement or the ledger; its approval appends adjustment entries.
    At most one is pending per person: a later change supersedes it (a new proposal takes its reasons)."""

    __tablename__ = "correction_proposals"
    __table_args__ = (
        Index("ix_correction_proposals_person", "id_number", "status"),
        Index("ix_correction_proposals_decided", "status", "decided_at"),  # the fund's clearing by approval month
        Index("uq_correction_proposals_pending", "id_number", unique=True,
              postgresql_where=text("status = 'pending'"), sqlite_where=text("status = 'pending'")),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    id_number: Mapped[str] = mapped_column(String(18))
    status: Mapped[str] = mapped_column(String(16), doc="pending / approved / rejected / superseded")
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, doc="the events it follows (source, id, type, window)")
    years: Mapped[list[int]] = mapped_column(JSON)
    agencies: Mapped[list[str]] = mapped_column(JSON, doc="who may decide (corrections.rules.deciding_agencies)")
    ledger_versions: Mapped[dict[str, int]] = mapped_column(JSON, doc="year → the person-year's entries as read")
    paid_to_person: Mapped[Decimal] = mapped_column(
        Yuan, doc="the personal shares' difference: >0 to pay the person, <0 to recover")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    superseded_by: Mapped[str | None] = mapped_column(String(32))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(64), doc="the token subject")
    decided_by_agency: Mapped[str | None] = mapped_column(String(32))
    decision_reason: Mapped[str | None] = mapped_column(String(500))
    payment: Mapped[str | None] = mapped_column(String(8), doc="on approval: pay / recover / none")


class CorrectionItemRow(Base):
    """One settlement of a proposal: its figures as settled (with earlier adjustments) and as replayed."""

    __tablename__ = "correction_items"
    __table_args__ = (Index("ix_correction_items_settlement", "settlement_id"),)

    proposal_id: Mapped[str] = mapped_column(ForeignKey("correction_proposals.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True, doc="discharge order, from 1")
    settlement_id: Mapped[str] = mapped_column(ForeignKey("settlements.id"))
    year: Mapped[int]
    discharged_on: Mapped[date]
    identity_before: Mapped[str | None] = mapped_column(String(32))
    identity_after: Mapped[str | None] = mapped_column(String(32))
    funds_before: Mapped[dict[str, str]] = mapped_column(JSON)
    funds_after: Mapped[dict[str, str]] = mapped_column(JSON)
    accumulator_deltas: Mapped[dict[str, str]] = mapped_column(JSON, doc="what approval books, per accumulator")
    trace: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # The civil-affairs funds' differences (after − before) as columns, for the fund's clearing to sum:
    # once approved, > 0 the fund pays them out (更正补付), < 0 they come back to it (更正追回).
    assistance_difference: Mapped[Decimal] = mapped_column(Yuan, server_default="0")
    re_assistance_difference: Mapped[Decimal] = mapped_column(Yuan, server_default="0")


class CorrectionPaymentRow(Base):
    """What the agency recorded of an approved proposal's money: the person paid back (pay) or the money
    recovered from them (recover), in full, once. Append-only: the row is its own audit record (who,
    which agency, when), and the proposal's history has it too."""

    __tablename__ = "correction_payments"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    proposal_id: Mapped[str] = mapped_column(ForeignKey("correction_proposals.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), doc="pay / recover: the proposal's payment")
    amount: Mapped[Decimal] = mapped_column(Yuan, doc="the personal shares' difference, without its sign")
    done_on: Mapped[date] = mapped_column(doc="the day the person was paid or the money came back")
    reference: Mapped[str] = mapped_column(String(64), doc="支付或缴回凭证号 (the transfer's reference)")
    note: Mapped[str | None] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_by: Mapped[str] = mapped_column(String(64), doc="the token subject")
    recorded_by_agency: Mapped[str] = mapped_column(String(32))

