from datetime import date, datetime

from sqlalchemy import Boolean, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from services.settlement.database import Base
from shared.db import UtcDateTime


class ReconciliationRunRow(Base):
    """One reconciliation with a hospital's books (totals like 3201, detail like 3202): who ran it,
    when, for which hospital and settlement days, and whether the books matched. Append-only: it is
    the audit of the runs, and the period close asks for the latest one of its range."""

    __tablename__ = "reconciliation_runs"
    __table_args__ = (Index("ix_reconciliation_runs_range", "hospital_code", "from_date", "to_date", "run_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), doc="totals / detail")
    hospital_code: Mapped[str] = mapped_column(String(12))
    from_date: Mapped[date] = mapped_column(doc="first settlement day, Asia/Shanghai")
    to_date: Mapped[date] = mapped_column(doc="last settlement day, included")
    matched: Mapped[bool] = mapped_column(Boolean)
    run_at: Mapped[datetime] = mapped_column(UtcDateTime)
    run_by: Mapped[str] = mapped_column(String(64), doc="the token subject")
    run_by_role: Mapped[str] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(Text, doc="JSON: the totals' lines, or the detail's counts")
    differences: Mapped[str | None] = mapped_column(Text, doc="JSON: every difference of a detail run")
