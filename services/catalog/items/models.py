from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Index, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.catalog.database import Base
from shared.db import BigId, UtcDateTime


class ItemRow(Base):
    """One version of a catalog entry (医保目录): what the item was from `valid_from` to `valid_to`
    (the last day in force, inclusive; open when None). A later entry for the code closes the one
    before it, so a line is classified by the entry in force on its date."""

    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("code", "valid_from", name="uq_items_code_valid_from"),
        CheckConstraint("kind IN ('drug', 'treatment', 'consumable')", name="kind"),
        CheckConstraint("category IN ('A', 'B', 'C')", name="category"),
        CheckConstraint("pre_self_pay_ratio >= 0 AND pre_self_pay_ratio <= 1", name="ratio"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="valid_range"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(1), doc="A 甲类 / B 乙类 / C 丙类")
    pre_self_pay_ratio: Mapped[Decimal] = mapped_column(Numeric(5, 4), doc="先行自付比例 (乙类; 0 otherwise)")
    price_limit: Mapped[Decimal | None] = mapped_column(Numeric(16, 6), doc="限价 (yuan per unit)")
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]
    batch_id: Mapped[str] = mapped_column(String(64), doc="the import that last wrote this version")
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ItemImportBatchRow(Base):
    """One catalog file imported by ops. The same batch id again changes nothing."""

    __tablename__ = "item_import_batches"

    batch_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer)
    accepted: Mapped[int] = mapped_column(Integer)
    rejected: Mapped[int] = mapped_column(Integer)
    added: Mapped[int] = mapped_column(Integer)
    changed: Mapped[int] = mapped_column(Integer)
    unchanged: Mapped[int] = mapped_column(Integer)
    ended: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ItemImportRowRow(Base):
    """What became of each row of a catalog file."""

    __tablename__ = "item_import_rows"
    __table_args__ = (Index("ix_item_import_rows_batch", "batch_id", "row_no"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    batch_id: Mapped[str] = mapped_column(String(64))
    row_no: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16), doc="accepted / rejected")
    action: Mapped[str | None] = mapped_column(String(16), doc="added / changed / unchanged / ended")
    reason_code: Mapped[str | None] = mapped_column(String(32))
    message: Mapped[str | None] = mapped_column(String(200))
