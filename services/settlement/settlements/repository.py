from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.settlement.settlements.models import SettlementRow
from shared.contracts.calculation import CalculationResult

if TYPE_CHECKING:
    from services.settlement.settlements.schemas import SettlementRequest


class SettlementRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_serial(self, hospital_code: str, his_serial: str) -> SettlementRow | None:
        return await self.session.scalar(select(SettlementRow).where(
            SettlementRow.hospital_code == hospital_code, SettlementRow.his_serial == his_serial,
        ))

    async def claim(self, settlement_id: str, request_hash: str, request: "SettlementRequest") -> None:
        """The idempotency record: the serial is taken, the settlement is in progress."""
        await self.session.execute(insert(SettlementRow.__table__).values(
            id=settlement_id, hospital_code=request.hospital_code, his_serial=request.his_serial,
            request_hash=request_hash, status="in_progress", id_number=request.id_number,
            year=request.discharged_on.year, medical_type=request.medical_type.value,
            admitted_on=request.admitted_on, discharged_on=request.discharged_on, needs_recalculation=False,
        ))

    async def mark_settled(
        self, settlement_id: str, settled_at: datetime, statement: str, total: Decimal, result: CalculationResult,
    ) -> None:
        table = SettlementRow.__table__
        done = await self.session.execute(
            update(table).where(table.c.id == settlement_id, table.c.status == "in_progress").values(
                status="settled", statement=statement, settled_at=settled_at,
                identity_applied=result.identity_applied.value if result.identity_applied else None,
                total=total,
                personal_share=result.personal_share, basic_insurance=result.basic_insurance,
                critical_illness=result.critical_illness, assistance=result.assistance,
                re_assistance=result.re_assistance,
            )
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise RuntimeError(f"settlement {settlement_id} was not in progress")

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
