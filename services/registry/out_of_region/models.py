from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from services.registry.database import Base
from shared.db import UtcDateTime


class OutOfRegionFilingRow(Base):
    """One 异地就医备案. In force from `in_force_since` (complete, or under a personal commitment);
    `last_day` ends it early, as of `ended_at`."""

    __tablename__ = "out_of_region_filings"
    __table_args__ = (Index("ix_out_of_region_filings_person", "person_id", "valid_from"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(24))
    destination_region_code: Mapped[str] = mapped_column(String(6))
    hospital_code: Mapped[str | None] = mapped_column(String(12))
    filed_on: Mapped[date]
    valid_from: Mapped[date]
    valid_until: Mapped[date | None]
    documents_received: Mapped[list[str]] = mapped_column(JSON)
    personal_commitment: Mapped[bool]
    in_force_since: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_day: Mapped[date | None]
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(128))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
