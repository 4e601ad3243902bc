from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from services.registry.database import Base
from shared.db import UtcDateTime


class ChronicFilingRow(Base):
    __tablename__ = "chronic_filings"
    __table_args__ = (
        CheckConstraint("status IN ('in_force', 'pending', 'rejected')", name="status"),
        CheckConstraint("end_reason IS NULL OR end_reason IN ('revoked', 'expired', 'moved')", name="end_reason"),
        Index("ix_chronic_filings_person", "person_id", "disease_code"),
        Index("ix_chronic_filings_pending", "status", "filed_on"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="RESTRICT"))
    disease_code: Mapped[str] = mapped_column(String(8))
    disease_name: Mapped[str] = mapped_column(String(64))
    disease_class: Mapped[str] = mapped_column(String(1))
    hospital_code: Mapped[str] = mapped_column(String(12))
    filed_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(16))
    effective_from: Mapped[date | None]
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, doc="when the review decided")
    decision_reason: Mapped[str | None] = mapped_column(String(128))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # An ended filing gives benefits up to `last_day` for care on or before it, as of `ended_at`.
    last_day: Mapped[date | None]
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ended_by: Mapped[str | None] = mapped_column(String(64))
    end_reason: Mapped[str | None] = mapped_column(String(16), doc="revoked / expired / moved")
    end_note: Mapped[str | None] = mapped_column(String(128))
