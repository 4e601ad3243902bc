from collections.abc import Collection

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.catalog.hospitals.models import HospitalRow


class HospitalRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_code(self, code: str) -> HospitalRow | None:
        return await self.session.get(HospitalRow, code)

    async def search(
        self, *, region_codes: Collection[str] | None, name: str | None, limit: int, offset: int,
    ) -> tuple[list[HospitalRow], int]:
        query = select(HospitalRow)
        if region_codes is not None:
            query = query.where(HospitalRow.region_code.in_(region_codes))
        if name:
            escaped = name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(HospitalRow.name.like(f"%{escaped}%", escape="\\"))
        total = await self.session.scalar(select(func.count()).select_from(query.subquery()))
        rows = await self.session.scalars(query.order_by(HospitalRow.code).limit(limit).offset(offset))
        return list(rows), total or 0
