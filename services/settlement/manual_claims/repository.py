from datetime import date
from typing import Any

from sqlalchemy import Row, Select, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.settlement.manual_claims.models import ManualClaimRow
from services.settlement.manual_claims.rules import OPEN, Status
from services.settlement.settlements.models import SettlementRow

_CLAIMS = ManualClaimRow.__table__
_SETTLEMENTS = SettlementRow.__table__
LIST_LIMIT = 500


def _with_settlement() -> Select[Any]:
    return select(_CLAIMS, _SETTLEMENTS.c.statement, _SETTLEMENTS.c.assistance, _SETTLEMENTS.c.re_assistance,
                  _SETTLEMENTS.c.status.label("settlement_status"), _SETTLEMENTS.c.cancelled_at,
                  _SETTLEMENTS.c.cancel_reason, _SETTLEMENTS.c.cancelled_by, _SETTLEMENTS.c.cancelled_by_operator,
                  ).outerjoin(_SETTLEMENTS, _SETTLEMENTS.c.id == _CLAIMS.c.settlement_id)


class ManualClaimRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def add(self, **values: Any) -> None:
        await self.connection.execute(insert(_CLAIMS).values(**values))

    async def get(self, claim_id: str) -> Row | None:
        return (await self.connection.execute(_with_settlement().where(_CLAIMS.c.id == claim_id))).first()

    async def move(self, claim_id: str, from_status: Status, **values: Any) -> bool:
        """Set `values` if the claim is still `from_status` (False otherwise: another request moved it)."""
        done = await self.connection.execute(
            update(_CLAIMS).where(_CLAIMS.c.id == claim_id, _CLAIMS.c.status == from_status).values(**values))
        return done.rowcount == 1

    async def close_for_cancellation(self, claim_id: str) -> Status | None:
        """Close an unpaid claim whose settlement is being cancelled (in the cancellation's transaction).
        Its status after: cancelled, or the status that kept it open (paid); None for no such claim."""
        closed = (await self.connection.execute(
            update(_CLAIMS).where(_CLAIMS.c.id == claim_id, _CLAIMS.c.status.in_([s.value for s in OPEN]))
            .values(status=Status.CANCELLED).returning(_CLAIMS.c.id))).first()
        if closed is not None:
            return Status.CANCELLED
        status = (await self.connection.execute(select(_CLAIMS.c.status).where(_CLAIMS.c.id == claim_id))).scalar()
        return None if status is None else Status(status)

    async def listing(self, *, overdue_on: date | None) -> list[Row]:
        """The latest claims; with `overdue_on`, the open ones whose deadline was before that day."""
        query = _with_settlement()
        if overdue_on is not None:
            query = query.where(_CLAIMS.c.status.in_([s.value for s in OPEN]), _CLAIMS.c.due_on < overdue_on)
        return list(await self.connection.execute(
            query.order_by(_CLAIMS.c.created_at.desc(), _CLAIMS.c.id).limit(LIST_LIMIT)))
