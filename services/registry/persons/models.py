from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from services.registry.database import Base
from shared.db import BigId, UtcDateTime


class PersonRow(Base):
    """An insured person as now known. `insurance_type` repeats the latest enrolment event (for
    search); the events are the record of when the person was insured and how."""

    __tablename__ = "persons"
    __table_args__ = (
        CheckConstraint("insurance_type IN ('employee', 'resident')", name="insurance_type"),
        CheckConstraint("gender IN ('male', 'female')", name="gender"),
        Index("ix_persons_region_name", "region_code", "name"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    gender: Mapped[str] = mapped_column(String(6))
    birth_on: Mapped[date]
    insurance_type: Mapped[str] = mapped_column(String(16))
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())


class InsuranceEventRow(Base):
    """From `effective_from` the person is `status` in `insurance_type`, until a later event.
    Append-only: a correction of the past is a new event for the same day, recorded later."""

    __tablename__ = "insurance_events"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'suspended', 'ended')", name="status"),
        CheckConstraint("insurance_type IN ('employee', 'resident')", name="insurance_type"),
        Index("ix_insurance_events_person", "person_id", "effective_from"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="RESTRICT"))
    effective_from: Mapped[date]
    status: Mapped[str] = mapped_column(String(16))
    insurance_type: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(128))
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
