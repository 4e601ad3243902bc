from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from services.catalog.database import Base


class RegionRow(Base):
    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
