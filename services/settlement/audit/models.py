from datetime import datetime

from sqlalchemy import Index, String
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
