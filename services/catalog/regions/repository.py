from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.catalog.regions.models import RegionRow


class RegionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def all(self) -> dict[str, RegionRow]:
        rows = await self.session.scalars(select(RegionRow).order_by(RegionRow.code))
        return {row.code: row for row in rows}
