from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.settlement.settlements.models import SettlementRow


class SettlementRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_serial(self, hospital_code: str, his_serial: str) -> SettlementRow | None:
        return await self.session.scalar(select(SettlementRow).where(
            SettlementRow.hospital_code == hospital_code, SettlementRow.his_serial == his_serial,
        ))

    async def by_id(self, settlement_id: str, *, lock: bool = False) -> SettlementRow | None:
        query = select(SettlementRow).where(SettlementRow.id == settlement_id)
        if lock:
            query = query.with_for_update().execution_options(populate_existing=True)
        return await self.session.scalar(query)

    async def settled_after(self, row: SettlementRow) -> list[SettlementRow]:
        """The person's other settled settlements of the same year, settled after this one."""
        return list(await self.session.scalars(select(SettlementRow).where(
            SettlementRow.id_number == row.id_number, SettlementRow.year == row.year,
            SettlementRow.status == "settled", SettlementRow.id != row.id,
            SettlementRow.settled_at > row.settled_at,
        )))

    async def search(
        self, *, hospital_code: str | None, discharged_from: date | None, discharged_to: date | None,
        limit: int, offset: int,
    ) -> tuple[list[SettlementRow], int]:
        query = select(SettlementRow).where(SettlementRow.status != "in_progress")
        if hospital_code is not None:
            query = query.where(SettlementRow.hospital_code == hospital_code)
        if discharged_from is not None:
            query = query.where(SettlementRow.discharged_on >= discharged_from)
        if discharged_to is not None:
            query = query.where(SettlementRow.discharged_on <= discharged_to)
        total = await self.session.scalar(select(func.count()).select_from(query.subquery()))
        rows = await self.session.scalars(
            query.order_by(SettlementRow.discharged_on, SettlementRow.id).limit(limit).offset(offset)
        )
        return list(rows), total or 0
