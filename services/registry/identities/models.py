from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from services.registry.database import Base
from shared.db import BigId, UtcDateTime


class IdentityRow(Base):
    """One version of an assistance identity. `identity_key` names the identity across its versions;
    adding, ending or correcting it records a new version and marks the previous one superseded, so
    every past state stays readable (`recorded_at` ≤ T < `superseded_at`). The window is derived by
    the next-month rule (or the illness-poverty look-back) and stored for range queries."""

    __tablename__ = "identities"
    __table_args__ = (
        CheckConstraint(
            "effective_until IS NULL OR effective_until >= effective_from", name="window_order"
        ),
        CheckConstraint("ended_on IS NULL OR ended_on >= approved_on", name="end_after_approval"),
        CheckConstraint("change IN ('added', 'ended', 'corrected', 'imported', 'list_ended')", name="change"),
        Index("ix_identities_person_window", "person_id", "effective_from"),
        Index("ix_identities_key", "identity_key"),
        # One current version per identity: two writers revising it at once cannot both succeed.
        Index("uq_identities_current", "identity_key", unique=True,
              postgresql_where=text("superseded_at IS NULL"), sqlite_where=text("superseded_at IS NULL")),
        Index("ix_identities_category_open", "category", "superseded_at", "effective_until"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    identity_key: Mapped[str] = mapped_column(String(32))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="RESTRICT"))
    category: Mapped[str] = mapped_column(String(32))
    source_agency: Mapped[str] = mapped_column(String(32))
    document_number: Mapped[str] = mapped_column(String(64))
    approved_on: Mapped[date]
    ended_on: Mapped[date | None]
    effective_from: Mapped[date]
    effective_until: Mapped[date | None]
    change: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(128))
    batch_id: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    superseded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
