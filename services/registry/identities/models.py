from datetime import date, datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from services.registry.database import Base
from shared.db import BigId


class IdentityRow(Base):
    """One approved assistance identity. Its window is derived by the next-month rule and stored
    so that "in force on D" is an index range query."""

    __tablename__ = "identities"
    __table_args__ = (
        CheckConstraint(
            "effective_until IS NULL OR effective_until >= effective_from", name="window_order"
        ),
        CheckConstraint("ended_on IS NULL OR ended_on >= approved_on", name="end_after_approval"),
        Index("ix_identities_person_window", "person_id", "effective_from"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="RESTRICT"))
    category: Mapped[str] = mapped_column(String(32))
    source_agency: Mapped[str] = mapped_column(String(32))
    document_number: Mapped[str] = mapped_column(String(64))
    approved_on: Mapped[date]
    ended_on: Mapped[date | None]
    effective_from: Mapped[date]
    effective_until: Mapped[date | None]
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
