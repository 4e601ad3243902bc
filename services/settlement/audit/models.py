from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from services.settlement.database import Base
from shared.db import BigId, UtcDateTime


class PersonLookupRow(Base):
    """One look-up of a person's identities in the registry made for a hospital (an admission or a
    settlement): who, for which hospital, when, whom. Append-only. The ID number is kept as the
    registry's audit keeps it (services/registry/audit); it is served only in counts, never logged."""

    __tablename__ = "person_lookups"
    __table_args__ = (Index("ix_person_lookups_at_hospital", "at", "hospital_code"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(64), doc="the token subject")
    hospital_code: Mapped[str] = mapped_column(String(12))
    id_number: Mapped[str] = mapped_column(String(18))
    purpose: Mapped[str] = mapped_column(String(16), doc="admission / settlement")
    reference: Mapped[str] = mapped_column(String(64), doc="the HIS serial or the admission number")


class StateChangeRow(Base):
    """Who moved what from which state to which, when (a claim period closed, reviewed, approved,
    paid…). Append-only, written in the same transaction as the change."""

    __tablename__ = "state_changes"
    __table_args__ = (Index("ix_state_changes_entity", "entity", "entity_key", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(64), doc="the token subject")
    action: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(32))
    entity_key: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
