from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from services.settlement.database import Base
from shared.db import UtcDateTime


class ManualClaimRow(Base):
    """One manual (零星) claim (烟台市医疗保障局《烟台市统一医疗保障经办服务办事指南（试行）》（2020-08）
    医疗救助对象手工（零星）报销). Once complete it is settled through the settlement flow on channel
    `manual` (`settlement_id`): the same calculation, ledger and caps as a discharge."""

    __tablename__ = "manual_claims"
    __table_args__ = (Index("ix_manual_claims_status_due", "status", "due_on"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))  # incomplete / accepted / calculated / approved / paid / cancelled
    id_number: Mapped[str] = mapped_column(String(18), index=True)
    request: Mapped[str] = mapped_column(Text, doc="the claim as entered (ManualClaimRequest JSON)")
    documents: Mapped[str] = mapped_column(Text, doc="JSON: each document of the checklist → received")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(64), doc="the token subject")
    channel: Mapped[str] = mapped_column(String(16), server_default="window", doc="window / township")
    office: Mapped[str | None] = mapped_column(String(64), doc="the township office that entered it")
    accepted_on: Mapped[date | None]
    due_on: Mapped[date | None] = mapped_column(doc="the 10th working day after acceptance")
    settlement_id: Mapped[str | None] = mapped_column(ForeignKey("settlements.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    approved_by: Mapped[str | None] = mapped_column(String(64))
    paid_on: Mapped[date | None]
    payment_reference: Mapped[str | None] = mapped_column(String(64))
    paid_by: Mapped[str | None] = mapped_column(String(64))
