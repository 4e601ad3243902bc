from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.settlement.database import Base, Yuan
from shared.db import BigId, UtcDateTime


class HighCostAlertRow(Base):
    """A person-year past a high-cost line (rules.flag), written by the first monthly run that found it
    and never again: once per year per threshold (the unique key). Append-only: the figures are those
    of the month it was flagged in."""

    __tablename__ = "high_cost_alerts"
    __table_args__ = (
        UniqueConstraint("id_number", "year", "threshold", name="uq_high_cost_alerts_person_year_threshold"),
        Index("ix_high_cost_alerts_year_month", "year", "month"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    id_number: Mapped[str] = mapped_column(String(18))
    year: Mapped[int] = mapped_column(Integer)
    threshold: Mapped[str] = mapped_column(String(16), doc="monitored / ordinary")
    category: Mapped[str | None] = mapped_column(String(32), doc="the monitored identity; none for ordinary")
    month: Mapped[str] = mapped_column(String(7), doc="YYYY-MM: the run's month that flagged it")
    burden: Mapped[Decimal] = mapped_column(Yuan, doc="cumulative personal burden at the month's end")
    line: Mapped[Decimal] = mapped_column(Yuan, doc="the share of the income figure it passed")
    income: Mapped[Decimal] = mapped_column(Yuan)
    income_verified: Mapped[bool] = mapped_column(Boolean)
    settlements: Mapped[int] = mapped_column(Integer, doc="settlements in force the burden sums")
    run_id: Mapped[int] = mapped_column(ForeignKey("high_cost_runs.id"), doc="the run that flagged it")
    flagged_at: Mapped[datetime] = mapped_column(UtcDateTime)


class HighCostRunRow(Base):
    """One monthly run: who asked, when, for which month, and how many flags were new. Append-only:
    the run's own audit record."""

    __tablename__ = "high_cost_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    month: Mapped[str] = mapped_column(String(7))
    ran_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ran_by: Mapped[str] = mapped_column(String(64), doc="the token subject")
    income_year: Mapped[int] = mapped_column(Integer)
    income: Mapped[Decimal] = mapped_column(Yuan)
    income_verified: Mapped[bool] = mapped_column(Boolean)
    flagged: Mapped[int] = mapped_column(Integer, doc="new flags written")


class HighCostScheduledMonthRow(Base):
    """A month the worker has run by itself once it ended (alerts.service.AlertService.run_ended_months):
    the row is the claim, written in the run's transaction, so of several workers one runs the month
    and the others find it claimed (its primary key)."""

    __tablename__ = "high_cost_scheduled_months"

    month: Mapped[str] = mapped_column(String(7), primary_key=True, doc="YYYY-MM")
    run_id: Mapped[int | None] = mapped_column(
        ForeignKey("high_cost_runs.id"), doc="the run: set in the claim's transaction (never seen empty)")
    claimed_at: Mapped[datetime] = mapped_column(UtcDateTime)
