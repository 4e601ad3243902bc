from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from services.settlement.database import Base, Yuan
from shared.db import UtcDateTime


class RecalculationBatchRow(Base):
    """One go-live or policy-change batch (烟台2018通知 二、4): historic basic-insurance settlements
    whose assistance the platform computes after the fact, for civil affairs to review and pay
    (source csv / json), or the settlements already in the platform discharged in a date range,
    replayed under the policies now (source range). `chunks_done` is the progress, moved in the same
    transaction as that chunk's results."""

    __tablename__ = "recalculation_batches"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), doc="uploaded/calculating/calculated/approved/rejected")
    source: Mapped[str] = mapped_column(String(16), doc="csv / json / range")
    note: Mapped[str] = mapped_column(String(200))
    rows_total: Mapped[int] = mapped_column(Integer)
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    chunks_total: Mapped[int] = mapped_column(Integer)
    chunks_done: Mapped[int] = mapped_column(Integer, default=0)
    rejected_rows: Mapped[list[dict[str, Any]]] = mapped_column(JSON, doc="[{line, reason}] refused at upload")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(64))
    calculated_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    decision_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # A range batch's settlements: discharged from_date to to_date (both included), optionally of one
    # policy region (the region the calculation was asked for, by prefix) and one hospital.
    from_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    to_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    region_code: Mapped[str | None] = mapped_column(String(6), nullable=True)
    hospital_code: Mapped[str | None] = mapped_column(String(12), nullable=True)


class RecalculationItemRow(Base):
    """One historic settlement of a batch: as uploaded, and (once its chunk is committed) what
    assistance it should have had. A person-year's rows share one chunk."""

    __tablename__ = "recalculation_items"
    __table_args__ = (Index("ix_recalculation_items_chunk", "batch_id", "chunk", "line"),)

    batch_id: Mapped[str] = mapped_column(ForeignKey("recalculation_batches.id"), primary_key=True)
    line: Mapped[int] = mapped_column(Integer, primary_key=True, doc="the file's line (CSV) or item (JSON)")
    chunk: Mapped[int] = mapped_column(Integer)
    id_number: Mapped[str] = mapped_column(String(18))
    hospital_code: Mapped[str] = mapped_column(String(12))
    admitted_on: Mapped[date] = mapped_column(Date)
    discharged_on: Mapped[date] = mapped_column(Date)
    medical_type: Mapped[str] = mapped_column(String(24))
    insurance_type: Mapped[str | None] = mapped_column(String(16), nullable=True, doc="as uploaded, if given")
    bill: Mapped[dict[str, Any]] = mapped_column(JSON, doc="the Bill contract as uploaded")
    computed: Mapped[bool] = mapped_column(default=False)
    policy_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    identity_applied: Mapped[str | None] = mapped_column(String(32), nullable=True)
    assistance: Mapped[Decimal | None] = mapped_column(Yuan, nullable=True)
    re_assistance: Mapped[Decimal | None] = mapped_column(Yuan, nullable=True)
    personal_share: Mapped[Decimal | None] = mapped_column(Yuan, nullable=True)
    reason: Mapped[str | None] = mapped_column(String(500), nullable=True, doc="why none, or why not computed")
    problem_code: Mapped[str | None] = mapped_column(String(48), nullable=True)


class RecalculationPersonRow(Base):
    """A person of a range batch: the settlements of the range (fixed when the batch is made) and the
    window each of the person's years is replayed from. A person's years share one chunk (a grant
    runs across them)."""

    __tablename__ = "recalculation_persons"
    __table_args__ = (Index("ix_recalculation_persons_chunk", "batch_id", "chunk"),)

    batch_id: Mapped[str] = mapped_column(ForeignKey("recalculation_batches.id"), primary_key=True)
    id_number: Mapped[str] = mapped_column(String(18), primary_key=True)
    chunk: Mapped[int] = mapped_column(Integer)
    settlements: Mapped[int] = mapped_column(Integer, doc="how many settlements of the range are the person's")
    settlement_ids: Mapped[list[str]] = mapped_column(JSON, doc="the range's settlements of the person")
    windows: Mapped[list[list[str]]] = mapped_column(
        JSON, doc="[[first day, day after]] per year: from the year's first settlement of the range")
    computed: Mapped[bool] = mapped_column(default=False)
    problem_code: Mapped[str | None] = mapped_column(String(48), nullable=True, doc="why not replayed")
    reason: Mapped[str | None] = mapped_column(String(500), nullable=True)


class RecalculationSettlementRow(Base):
    """One settlement a range batch replayed: what it paid (as settled, or as last corrected) and what
    the policies now make it pay, each fund to the fen. `in_range`: one of the range's own; the others
    are the later settlements of the year, whose balances rest on them."""

    __tablename__ = "recalculation_settlements"

    batch_id: Mapped[str] = mapped_column(ForeignKey("recalculation_batches.id"), primary_key=True)
    settlement_id: Mapped[str] = mapped_column(ForeignKey("settlements.id"), primary_key=True)
    id_number: Mapped[str] = mapped_column(String(18))
    position: Mapped[int] = mapped_column(Integer, doc="the person's discharge order in the replay, from 1")
    year: Mapped[int] = mapped_column(Integer)
    discharged_on: Mapped[date] = mapped_column(Date)
    hospital_code: Mapped[str] = mapped_column(String(12))
    in_range: Mapped[bool]
    changed: Mapped[bool] = mapped_column(doc="a figure, the identity or an accumulator moves")
    identity_before: Mapped[str | None] = mapped_column(String(32), nullable=True)
    identity_after: Mapped[str | None] = mapped_column(String(32), nullable=True)
    basic_insurance_before: Mapped[Decimal] = mapped_column(Yuan)
    basic_insurance_after: Mapped[Decimal] = mapped_column(Yuan)
    critical_illness_before: Mapped[Decimal] = mapped_column(Yuan)
    critical_illness_after: Mapped[Decimal] = mapped_column(Yuan)
    special_drugs_before: Mapped[Decimal] = mapped_column(Yuan)
    special_drugs_after: Mapped[Decimal] = mapped_column(Yuan)
    large_expense_before: Mapped[Decimal] = mapped_column(Yuan)
    large_expense_after: Mapped[Decimal] = mapped_column(Yuan)
    assistance_before: Mapped[Decimal] = mapped_column(Yuan)
    assistance_after: Mapped[Decimal] = mapped_column(Yuan)
    re_assistance_before: Mapped[Decimal] = mapped_column(Yuan)
    re_assistance_after: Mapped[Decimal] = mapped_column(Yuan)
    personal_share_before: Mapped[Decimal] = mapped_column(Yuan)
    personal_share_after: Mapped[Decimal] = mapped_column(Yuan)
