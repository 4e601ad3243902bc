from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from services.settlement.database import Base, Yuan
from shared.db import UtcDateTime


class SettlementRow(Base):
    """One discharge settlement. Created `in_progress` before the peers are asked (the idempotency
    record), `settled` with its statement in the same transaction as its ledger entries."""

    __tablename__ = "settlements"
    __table_args__ = (
        UniqueConstraint("hospital_code", "his_serial", name="uq_settlements_hospital_serial"),
        Index("ix_settlements_hospital_discharged", "hospital_code", "discharged_on"),
        Index("ix_settlements_person_year", "id_number", "year"),
        Index("ix_settlements_discharged", "discharged_on"),  # monitoring: every hospital over a period
        Index("ix_settlements_fund_settled", "fund_region_code", "settled_at"),  # the fund's clearing statements
        # reconciliation and claims: a hospital's settlements by settlement time
        Index("ix_settlements_hospital_settled", "hospital_code", "settled_at"),
        # claims: a hospital's cancellations, for the adjustments of its next claim
        Index("ix_settlements_hospital_cancelled", "hospital_code", "cancelled_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    hospital_code: Mapped[str] = mapped_column(String(12))
    his_serial: Mapped[str] = mapped_column(String(64))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # in_progress / settled / cancelled
    # his: posted by a hospital's HIS; manual: a manual (零星) claim entered by staff (manual_claims)
    channel: Mapped[str] = mapped_column(String(8), server_default="his")
    id_number: Mapped[str] = mapped_column(String(18))
    year: Mapped[int]
    medical_type: Mapped[str] = mapped_column(String(24))
    admitted_on: Mapped[date]
    discharged_on: Mapped[date]
    identity_applied: Mapped[str | None] = mapped_column(String(32))
    total: Mapped[Decimal | None] = mapped_column(Yuan)
    # The bill's split, kept for monitoring (services/settlement/monitoring); null on settlements
    # recorded before it was kept whose split the statement cannot tell.
    bill_full_self_pay: Mapped[Decimal | None] = mapped_column(Yuan, doc="全自费 fulamt_ownpay_amt")
    bill_over_limit_self_pay: Mapped[Decimal | None] = mapped_column(Yuan, doc="超限价自费 overlmt_selfpay")
    basic_insurance: Mapped[Decimal | None] = mapped_column(Yuan)
    critical_illness: Mapped[Decimal | None] = mapped_column(Yuan)
    assistance: Mapped[Decimal | None] = mapped_column(Yuan)
    re_assistance: Mapped[Decimal | None] = mapped_column(Yuan)
    # The district account its assistance and re-assistance draw on (fund/rules.py drawing_region);
    # null on settlements recorded before the fund flow was kept.
    fund_region_code: Mapped[str | None] = mapped_column(String(6))
    # One column per fund of settlements.funds (these two kept since 2026-12: null before)
    special_drugs: Mapped[Decimal | None] = mapped_column(Yuan)
    large_expense: Mapped[Decimal | None] = mapped_column(Yuan)
    personal_share: Mapped[Decimal | None] = mapped_column(Yuan)
    statement: Mapped[str | None] = mapped_column(Text, doc="the response body, replayed byte for byte")
    # What the calculation was asked, less the balances and identities of the day: a correction
    # replays the settlement from it (corrections/). Null on settlements recorded before it was kept.
    calculation_input: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    needs_recalculation: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())
    settled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(String(200))
    cancelled_by: Mapped[str | None] = mapped_column(String(64), doc="the token subject")
    cancelled_by_operator: Mapped[str | None] = mapped_column(String(64), doc="the person at the HIS window")


class SettlementLineRow(Base):
    """One fee line of an itemized bill (NHSA 2301) as the catalog classified it, written with its
    settlement (store.record): what the HIS billed and how each line split."""

    __tablename__ = "settlement_lines"

    settlement_id: Mapped[str] = mapped_column(ForeignKey("settlements.id"), primary_key=True)
    line_no: Mapped[int] = mapped_column(Integer, primary_key=True, doc="position in the bill, from 1")
    feedetl_sn: Mapped[str] = mapped_column(String(30))
    original_sn: Mapped[str | None] = mapped_column(String(30), doc="the line a refund refunds")
    item_code: Mapped[str] = mapped_column(String(50))
    item_name: Mapped[str | None] = mapped_column(String(200), doc="the catalog's name on the line's date")
    category: Mapped[str | None] = mapped_column(String(1), doc="A / B / C; None: no entry in force")
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 4))
    unit_price: Mapped[Decimal] = mapped_column(Numeric(16, 6))
    amount: Mapped[Decimal] = mapped_column(Yuan)
    occurred_on: Mapped[date]
    full_self_pay: Mapped[Decimal] = mapped_column(Yuan)
    over_limit_self_pay: Mapped[Decimal] = mapped_column(Yuan)
    pre_self_pay: Mapped[Decimal] = mapped_column(Yuan)
