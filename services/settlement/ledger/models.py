from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.settlement.database import Base, Yuan
from shared.db import BigId, UtcDateTime

ACCUMULATORS = (
    "admissions", "basic_paid", "critical_illness_burden", "critical_illness_paid",
    "assistance_base", "assistance_paid", "re_assistance_base", "re_assistance_paid",
    "special_drugs_cost", "special_drugs_paid", "large_expense_base", "large_expense_paid",
    "assistance_paid_inpatient", "assistance_paid_outpatient", "assistance_paid_ordinary",
)
"""The fields of `YearToDate`: one column each on the person-year, one accumulator name in the ledger."""


class PersonYearRow(Base):
    """The balances of one person's year: the sum of its ledger entries, kept beside them so a
    settlement can lock one row (SELECT … FOR UPDATE) and read them."""

    __tablename__ = "person_years"
    __table_args__ = tuple(
        CheckConstraint(f"{name} >= 0", name=f"{name}_not_negative") for name in ACCUMULATORS
    )

    id_number: Mapped[str] = mapped_column(String(18), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    admissions: Mapped[Decimal] = mapped_column(Yuan, default=Decimal(0))
    basic_paid: Mapped[Decimal] = mapped_column(Yuan, default=Decimal(0))
    critical_illness_burden: Mapped[Decimal] = mapped_column(Yuan, default=Decimal(0))
    critical_illness_paid: Mapped[Decimal] = mapped_column(Yuan, default=Decimal(0))
    assistance_base: Mapped[Decimal] = mapped_column(Yuan, default=Decimal(0))
    assistance_paid: Mapped[Decimal] = mapped_column(Yuan, default=Decimal(0))
    re_assistance_base: Mapped[Decimal] = mapped_column(Yuan, default=Decimal(0))
    re_assistance_paid: Mapped[Decimal] = mapped_column(Yuan, default=Decimal(0))
    special_drugs_cost: Mapped[Decimal] = mapped_column(Yuan, default=Decimal(0), server_default="0")
    special_drugs_paid: Mapped[Decimal] = mapped_column(Yuan, default=Decimal(0), server_default="0")
    large_expense_base: Mapped[Decimal] = mapped_column(Yuan, default=Decimal(0), server_default="0")
    large_expense_paid: Mapped[Decimal] = mapped_column(Yuan, default=Decimal(0), server_default="0")
    assistance_paid_inpatient: Mapped[Decimal] = mapped_column(Yuan, default=Decimal(0), server_default="0")
    assistance_paid_outpatient: Mapped[Decimal] = mapped_column(Yuan, default=Decimal(0), server_default="0")
    assistance_paid_ordinary: Mapped[Decimal] = mapped_column(Yuan, default=Decimal(0), server_default="0")
    entries: Mapped[int] = mapped_column(Integer, default=0)


class LedgerEntryRow(Base):
    """Append-only: a settlement adds entries, a cancellation adds reversing ones; none is ever
    updated or deleted. `entry_no` numbers a person-year's entries: two writers that read the same
    balances collide on the unique key, a backstop behind the row lock; `cap` records the annual cap
    the amount was held to, and the database refuses a balance above it."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        UniqueConstraint("id_number", "year", "entry_no", "accumulator", name="uq_ledger_entries_sequence"),
        CheckConstraint("balance_after >= 0", name="balance_not_negative"),
        CheckConstraint("cap IS NULL OR balance_after <= cap", name="balance_within_cap"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    id_number: Mapped[str] = mapped_column(String(18))
    year: Mapped[int] = mapped_column(Integer)
    entry_no: Mapped[int] = mapped_column(Integer)
    settlement_id: Mapped[str] = mapped_column(ForeignKey("settlements.id"), index=True)
    accumulator: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))  # settlement / reversal
    amount: Mapped[Decimal] = mapped_column(Yuan)
    balance_after: Mapped[Decimal] = mapped_column(Yuan)
    cap: Mapped[Decimal | None] = mapped_column(Yuan)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())


class GrantVersionRow(Base):
    """One illness-poverty grant a person's settlements have used. A grant's cap runs across calendar
    years (004 §三(七)), past the row lock of one person-year, so every settlement applied under the
    grant also moves this version by compare-and-set: of two settlements that read the same grant
    usage, whatever their years, only one commits; the other reads again and computes again."""

    __tablename__ = "grant_versions"

    id_number: Mapped[str] = mapped_column(String(18), primary_key=True)
    window_from: Mapped[date] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
