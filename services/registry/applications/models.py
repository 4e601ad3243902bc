from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.registry.database import Base
from shared.db import UtcDateTime


class IllnessPovertyApplicationRow(Base):
    """One application a year per person (一个年度内不得重复申请): the unique key refuses a second."""

    __tablename__ = "illness_poverty_applications"
    __table_args__ = (
        UniqueConstraint("person_id", "year", name="uq_illness_poverty_applications_year"),
        CheckConstraint("status IN ('submitted', 'approved', 'rejected')", name="status"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="RESTRICT"))
    year: Mapped[int] = mapped_column(Integer)
    applied_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(16))
    decided_on: Mapped[date | None]
    decided_by: Mapped[str | None] = mapped_column(String(64))
    document_number: Mapped[str | None] = mapped_column(String(64))
    decision_reason: Mapped[str | None] = mapped_column(String(128))
    identity_key: Mapped[str | None] = mapped_column(String(32))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
