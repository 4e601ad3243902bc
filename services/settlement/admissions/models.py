from datetime import date, datetime

from sqlalchemy import Boolean, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from services.settlement.database import Base
from shared.db import UtcDateTime


class AdmissionRow(Base):
    __tablename__ = "admissions"
    __table_args__ = (UniqueConstraint("hospital_code", "admission_number", name="uq_admissions_number"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    hospital_code: Mapped[str] = mapped_column(String(12))
    admission_number: Mapped[str] = mapped_column(String(64))
    id_number: Mapped[str] = mapped_column(String(18), index=True)
    admitted_on: Mapped[date]
    identities: Mapped[str] = mapped_column(String(256), doc="categories in force on admission, comma-separated")
    treat_first_pay_later: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(String(256))
    referring_institution: Mapped[str | None] = mapped_column(String(128), doc="基层首诊转诊机构")
    referred_on: Mapped[date | None]
    deposit_reasons: Mapped[str] = mapped_column(
        Text, server_default="", doc="why a deposit applies, one reason a line (empty: treat first, pay later)",
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())
