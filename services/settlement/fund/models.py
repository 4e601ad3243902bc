from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from services.settlement.database import Base, Yuan
from shared.db import UtcDateTime


class PreFundingRow(Base):
    """One pre-funding (预拨) civil affairs made to the city social insurance centre (烟台市民政局
    烟台市社会保险服务中心《关于开展居民医疗救（补）助"一站式"联网即时结算业务的通知》二、2), booked to a
    district's account or to the city's. Append-only: the row is its own audit record (who, when)."""

    __tablename__ = "pre_fundings"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("ix_pre_fundings_region_funded", "region_code", "funded_on"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    region_code: Mapped[str] = mapped_column(String(6), doc="the account: a district of the city, or the city")
    amount: Mapped[Decimal] = mapped_column(Yuan)
    funded_on: Mapped[date] = mapped_column(doc="the day the money reached the city centre")
    reference: Mapped[str] = mapped_column(String(64), unique=True, doc="拨款凭证号 (the transfer's reference)")
    note: Mapped[str | None] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_by: Mapped[str] = mapped_column(String(64), doc="the token subject")
