from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.out_of_region.models import OutOfRegionFilingRow


class OutOfRegionFilingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: OutOfRegionFilingRow) -> OutOfRegionFilingRow:
        self.session.add(row)
        await self.session.flush()
        return row

    async def of_person(self, person_id: int) -> list[OutOfRegionFilingRow]:
        return list(await self.session.scalars(
            select(OutOfRegionFilingRow).where(OutOfRegionFilingRow.person_id == person_id)
            .order_by(OutOfRegionFilingRow.filed_on, OutOfRegionFilingRow.created_at)))

    async def get(self, person_id: int, filing_id: str) -> OutOfRegionFilingRow | None:
        return await self.session.scalar(select(OutOfRegionFilingRow).where(
            OutOfRegionFilingRow.id == filing_id, OutOfRegionFilingRow.person_id == person_id))
