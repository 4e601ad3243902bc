from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from services.registry.database import Base
from shared.db import UtcDateTime


class ChronicFilingRow(Base):
    __tablename__ = "chronic_filings"
    __table_args__ = (
        CheckConstraint("status IN ('in_force', 'pending', 'rejected')", name="status"),
        Index("ix_chronic_filings_person", "person_id", "disease_code"),
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
