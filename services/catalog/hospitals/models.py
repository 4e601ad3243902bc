from datetime import date

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from services.catalog.database import Base


class HospitalRow(Base):
    __tablename__ = "hospitals"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(128), index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    ownership: Mapped[str] = mapped_column(String(16))
    level: Mapped[str | None] = mapped_column(String(16))
    designated_from: Mapped[date | None]
    designated_until: Mapped[date | None]
    designation_source: Mapped[str | None] = mapped_column(String(128))
