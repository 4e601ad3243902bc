"""Settlement rows, in SQLAlchemy Core: the claim and the final update are on every settlement's
hot path, and reads hand back plain rows (attribute access by column name)."""

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Row, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.settlement.settlements.funds import FUND_LABELS
from services.settlement.settlements.models import SettlementLineRow, SettlementRow
from shared.contracts.calculation import Bill, CalculationResult
from shared.contracts.items import ClassifiedLine
from shared.db import dialect_insert

if TYPE_CHECKING:
    from services.settlement.settlements.schemas import SettlementRequest

_SETTLEMENTS = SettlementRow.__table__
_LINES = SettlementLineRow.__table__
CLAIM_LEASE = timedelta(minutes=5)
"""A claim still in progress after this was abandoned (its process died between the claim and the
record) and the next request with its serial takes it over. Far longer than a settlement may take
(`SettlementSettings.settlement_deadline_seconds`, at most 2 minutes), so a live settlement is never
taken over."""
# What a new claim replaces in an abandoned one (created_at is the time of the claim).
TAKEN_OVER = ("id", "request_hash", "id_number", "year", "medical_type", "admitted_on", "discharged_on", "created_at")


def line_values(line_no: int, line: ClassifiedLine) -> dict[str, object]:
    """A fee line as its row in settlement_lines (without the settlement id)."""
    return {"line_no": line_no, **line.model_dump()}


class SettlementRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def claim(
        self, settlement_id: str, request_hash: str, request: "SettlementRequest", claimed_at: datetime,
        channel: str = "his",
    ) -> bool:
        """Take the serial for this settlement (the idempotency record): a new claim, or one still in
        progress after `CLAIM_LEASE`, whose settlement died with its process. False if the serial is
        taken."""
        values = {
            "id": settlement_id, "hospital_code": request.hospital_code, "his_serial": request.his_serial,
            "request_hash": request_hash, "status": "in_progress", "id_number": request.id_number,
            "year": request.discharged_on.year, "medical_type": request.medical_type.value,
            "admitted_on": request.admitted_on, "discharged_on": request.discharged_on,
            "needs_recalculation": False, "created_at": claimed_at, "channel": channel,
        }
        insert = dialect_insert(self.connection, _SETTLEMENTS).values(**values)
        claimed = await self.connection.execute(insert.on_conflict_do_update(
            index_elements=["hospital_code", "his_serial"],
            set_={name: insert.excluded[name] for name in TAKEN_OVER},
            where=(_SETTLEMENTS.c.status == "in_progress") & (_SETTLEMENTS.c.created_at < claimed_at - CLAIM_LEASE),
        ))
        return claimed.rowcount == 1

    async def by_serial(self, hospital_code: str, his_serial: str) -> Row | None:
        return (await self.connection.execute(select(_SETTLEMENTS).where(
            _SETTLEMENTS.c.hospital_code == hospital_code, _SETTLEMENTS.c.his_serial == his_serial,
        ))).first()

    async def release(self, settlement_id: str) -> None:
        """Give the serial back after a failure before anything was settled."""
        await self.connection.execute(delete(_SETTLEMENTS).where(
            _SETTLEMENTS.c.id == settlement_id, _SETTLEMENTS.c.status == "in_progress",
        ))

    async def mark_settled(
        self, settlement_id: str, settled_at: datetime, statement: str, bill: Bill, result: CalculationResult,
        fund_region_code: str | None = None, calculation_input: dict[str, Any] | None = None,
    ) -> Row:
        done = (await self.connection.execute(
            update(_SETTLEMENTS).where(_SETTLEMENTS.c.id == settlement_id, _SETTLEMENTS.c.status == "in_progress")
            .values(
                status="settled", statement=statement, settled_at=settled_at,
                identity_applied=result.identity_applied.value if result.identity_applied else None,
                total=bill.total, bill_full_self_pay=bill.full_self_pay,
                bill_over_limit_self_pay=bill.over_limit_self_pay,
                personal_share=result.personal_share, fund_region_code=fund_region_code,
                calculation_input=calculation_input, **{name: getattr(result, name) for name in FUND_LABELS},
            )
            .returning(*_SETTLEMENTS.c)
        )).first()
        if done is None:
            raise RuntimeError(f"settlement {settlement_id} was not in progress")
        return done

    async def mark_cancelled(
        self, settlement_id: str, cancelled_at: datetime, *, reason: str, cancelled_by: str, operator: str | None,
    ) -> Row | None:
        """The settlement as cancelled, if it was settled (None otherwise: nothing changed)."""
        return (await self.connection.execute(
            update(_SETTLEMENTS).where(_SETTLEMENTS.c.id == settlement_id, _SETTLEMENTS.c.status == "settled")
            .values(status="cancelled", cancelled_at=cancelled_at, cancel_reason=reason, cancelled_by=cancelled_by,
                    cancelled_by_operator=operator)
            .returning(*_SETTLEMENTS.c)
        )).first()

    async def by_id(self, settlement_id: str) -> Row | None:
        return (await self.connection.execute(select(_SETTLEMENTS).where(_SETTLEMENTS.c.id == settlement_id))).first()

    async def mark_later_for_recalculation(self, cancelled: Row) -> list[str]:
        """The person's other settled settlements of the year, settled after this one, now rest on
        balances that changed: flag them and return their ids."""
        flagged = await self.connection.execute(
            update(_SETTLEMENTS).where(
                _SETTLEMENTS.c.id_number == cancelled.id_number, _SETTLEMENTS.c.year == cancelled.year,
                _SETTLEMENTS.c.status == "settled", _SETTLEMENTS.c.id != cancelled.id,
                _SETTLEMENTS.c.settled_at > cancelled.settled_at,
            ).values(needs_recalculation=True).returning(_SETTLEMENTS.c.id)
        )
        return sorted(flagged.scalars())

    async def search(
        self, *, hospital_code: str | None, discharged_from: date | None, discharged_to: date | None,
        limit: int, offset: int,
    ) -> tuple[list[Row], int]:
        query = select(_SETTLEMENTS).where(_SETTLEMENTS.c.status != "in_progress")
        if hospital_code is not None:
            query = query.where(_SETTLEMENTS.c.hospital_code == hospital_code)
        if discharged_from is not None:
            query = query.where(_SETTLEMENTS.c.discharged_on >= discharged_from)
        if discharged_to is not None:
            query = query.where(_SETTLEMENTS.c.discharged_on <= discharged_to)
        total = await self.connection.scalar(select(func.count()).select_from(query.subquery()))
        rows = await self.connection.execute(
            query.order_by(_SETTLEMENTS.c.discharged_on, _SETTLEMENTS.c.id).limit(limit).offset(offset)
        )
        return list(rows), total or 0

    async def add_lines(self, settlement_id: str, lines: Sequence[ClassifiedLine]) -> None:
        await self.connection.execute(insert(_LINES), [
            {"settlement_id": settlement_id, **line_values(n, line)} for n, line in enumerate(lines, start=1)])

    async def lines(self, settlement_id: str, *, limit: int, offset: int) -> list[Row]:
        return list(await self.connection.execute(
            select(_LINES).where(_LINES.c.settlement_id == settlement_id).order_by(_LINES.c.line_no)
            .limit(limit).offset(offset)))
