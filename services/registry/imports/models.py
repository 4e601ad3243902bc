from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from services.registry.database import Base
from shared.db import BigId, UtcDateTime


class ImportBatchRow(Base):
    """One list pushed by an agency. The batch id is the agency's: the same batch sent again
    changes nothing and gets the stored result."""

    __tablename__ = "import_batches"
    __table_args__ = (
        CheckConstraint("mode IN ('incremental', 'full')", name="mode"),
    )

    agency: Mapped[str] = mapped_column(String(32), primary_key=True)
    batch_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(32))
    mode: Mapped[str] = mapped_column(String(16))
    region_code: Mapped[str | None] = mapped_column(String(6))
    list_date: Mapped[date]
    rows: Mapped[int] = mapped_column(Integer)
    accepted: Mapped[int] = mapped_column(Integer)
    rejected: Mapped[int] = mapped_column(Integer)
    added: Mapped[int] = mapped_column(Integer)
    merged: Mapped[int] = mapped_column(Integer)
    unchanged: Mapped[int] = mapped_column(Integer)
    ended: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ImportRowRow(Base):
    """What became of each row of a batch (and, in a full list, of each person missing from it)."""

    __tablename__ = "import_rows"
    __table_args__ = (
        Index("ix_import_rows_batch", "agency", "batch_id", "id"),
        CheckConstraint("outcome IN ('accepted', 'rejected')", name="outcome"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    agency: Mapped[str] = mapped_column(String(32))
    batch_id: Mapped[str] = mapped_column(String(64))
    row_no: Mapped[int | None] = mapped_column(Integer, doc="line of the list; empty for a person missing from it")
    id_number: Mapped[str] = mapped_column(String(32))
    name: Mapped[str | None] = mapped_column(String(64), doc="the list's name, else the registered one")
    outcome: Mapped[str] = mapped_column(String(16))
    action: Mapped[str | None] = mapped_column(String(16), doc="added / merged / unchanged / ended")
    reason_code: Mapped[str | None] = mapped_column(String(32))
    message: Mapped[str | None] = mapped_column(String(128))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="RESTRICT"))
