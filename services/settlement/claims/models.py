from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, ForeignKeyConstraint, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.settlement.database import Base, Yuan
from shared.db import UtcDateTime


class ClaimPeriodRuleRow(Base):
    """How a policy region's hospitals claim their advances back, in force from a date: the length of a
    period, when it must be paid, who may be paid, the documents the report carries. Policy data,
    written by migrations with the document it comes from; the region is the most specific one
    enclosing the hospital's district (shared.regions)."""

    __tablename__ = "claim_period_rules"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    region_code: Mapped[str] = mapped_column(String(6))
    effective_from: Mapped[date]
    effective_until: Mapped[date | None] = mapped_column(doc="first day no longer in force")
    months: Mapped[int] = mapped_column(Integer, doc="1: monthly, 3: quarterly (calendar-aligned)")
    due_months: Mapped[int | None] = mapped_column(
        Integer, doc="paid by the end of the n-th month after the period's last; null: no deadline set")
    payees: Mapped[str] = mapped_column(Text, doc="JSON: who may be paid (hospital, passbook)")
    documents: Mapped[str] = mapped_column(Text, doc="JSON: the report's checklist, [{code, label}]")
    source: Mapped[str] = mapped_column(Text, doc="the document and section the rule comes from")


class ClaimPeriodRow(Base):
    """One hospital's claim period: open, then closed (its claim frozen), reviewed, approved, paid. On
    PostgreSQL a trigger refuses every change to a period that is no longer open except the next step's
    own fields, each written once (migration 20261201_10)."""

    __tablename__ = "claim_periods"
    __table_args__ = (
        UniqueConstraint("hospital_code", "starts_on", name="uq_claim_periods_hospital_start"),
        Index("ix_claim_periods_status_due", "status", "due_on"),
        CheckConstraint("status IN ('open', 'closed', 'reviewed', 'approved', 'paid')", name="status_known"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    hospital_code: Mapped[str] = mapped_column(String(12))
    rule_id: Mapped[str] = mapped_column(ForeignKey("claim_period_rules.id"))
    starts_on: Mapped[date]
    ends_on: Mapped[date] = mapped_column(doc="the last day, included")
    status: Mapped[str] = mapped_column(String(16))
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    opened_by: Mapped[str] = mapped_column(String(64))
    # The claim (申报, like NHSA 3203), frozen at the close
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(64))
    close_override_reason: Mapped[str | None] = mapped_column(String(200), doc="ops closed past the gate, why")
    due_on: Mapped[date | None] = mapped_column(doc="to be paid by this day")
    settlements_count: Mapped[int | None] = mapped_column(Integer)
    adjustments_count: Mapped[int | None] = mapped_column(Integer)
    total: Mapped[Decimal | None] = mapped_column(Yuan, doc="medical costs, adjustments deducted")
    payable: Mapped[Decimal | None] = mapped_column(Yuan, doc="the assistance funds' sum: what is claimed back")
    documents: Mapped[str | None] = mapped_column(Text, doc="JSON: the rule's checklist as it stood at the close")
    reviewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    review_outcome: Mapped[str | None] = mapped_column(String(16), doc="passed / partly_rejected")
    review_note: Mapped[str | None] = mapped_column(String(200))
    rejected_amount: Mapped[Decimal | None] = mapped_column(Yuan)
    approved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    approved_by: Mapped[str | None] = mapped_column(String(64))
    approved_amount: Mapped[Decimal | None] = mapped_column(Yuan)
    paid_on: Mapped[date | None]
    paid_amount: Mapped[Decimal | None] = mapped_column(Yuan)
    payment_reference: Mapped[str | None] = mapped_column(String(64))
    payee: Mapped[str | None] = mapped_column(String(16))
    paid_by: Mapped[str | None] = mapped_column(String(64))


class ClaimLineRow(Base):
    """A settlement in a claim (`settlement`), or its cancellation after that claim closed, deducted in
    the next (`adjustment`). Each at most once; the amounts are the settlement's own, which never change."""

    __tablename__ = "claim_lines"
    __table_args__ = (Index("ix_claim_lines_period", "period_id", "kind"),)

    settlement_id: Mapped[str] = mapped_column(ForeignKey("settlements.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(12), primary_key=True)
    period_id: Mapped[str] = mapped_column(ForeignKey("claim_periods.id"))


class ClaimFundRow(Base):
    """One fund's sum in a claim (the funds of settlements.funds), adjustments deducted."""

    __tablename__ = "claim_funds"

    period_id: Mapped[str] = mapped_column(ForeignKey("claim_periods.id"), primary_key=True)
    fund: Mapped[str] = mapped_column(String(24), primary_key=True)
    amount: Mapped[Decimal] = mapped_column(Yuan)


class ClaimRejectionRow(Base):
    """A claim line the review rejected, sent back to the hospital with the reason: not paid, and never
    deducted again if the settlement is cancelled later."""

    __tablename__ = "claim_rejections"
    __table_args__ = (
        ForeignKeyConstraint(["settlement_id", "kind"], ["claim_lines.settlement_id", "claim_lines.kind"],
                             name="fk_claim_rejections_line"),
        Index("ix_claim_rejections_period", "period_id"),
    )

    settlement_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(12), primary_key=True)
    period_id: Mapped[str] = mapped_column(ForeignKey("claim_periods.id"))
    reason: Mapped[str] = mapped_column(String(200))
