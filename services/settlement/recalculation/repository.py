"""Every query of the recalculation batches."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.settlement.recalculation.models import RecalculationBatchRow, RecalculationItemRow
from services.settlement.recalculation.rules import Status

_BATCHES = RecalculationBatchRow.__table__
_ITEMS = RecalculationItemRow.__table__
RESULT_FIELDS = ("policy_id", "identity_applied", "assistance", "re_assistance", "personal_share", "reason",
                 "problem_code")


class RecalculationRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def create(self, batch: dict[str, Any], items: Sequence[dict[str, Any]]) -> None:
        await self.connection.execute(insert(_BATCHES).values(**batch))
        if items:
            await self.connection.execute(insert(_ITEMS), [dict(item, batch_id=batch["id"]) for item in items])

    async def batch(self, batch_id: str, *, lock: bool = False) -> Row | None:
        query = select(_BATCHES).where(_BATCHES.c.id == batch_id)
        return (await self.connection.execute(query.with_for_update() if lock else query)).first()

    async def unfinished(self) -> list[str]:
        """Batches a crash may have left half done, oldest first."""
        b = _BATCHES.c
        query = select(b.id).where(b.status.in_([Status.UPLOADED, Status.CALCULATING])).order_by(b.created_at)
        return list((await self.connection.execute(query)).scalars())

    async def chunk(self, batch_id: str, chunk: int) -> list[Row]:
        """A chunk's rows in replay order (person-year, discharge, line)."""
        i = _ITEMS.c
        return list(await self.connection.execute(
            select(_ITEMS).where(i.batch_id == batch_id, i.chunk == chunk)
            .order_by(i.id_number, i.discharged_on, i.line)))

    async def items(self, batch_id: str) -> list[Row]:
        return list(await self.connection.execute(
            select(_ITEMS).where(_ITEMS.c.batch_id == batch_id).order_by(_ITEMS.c.line)))

    async def totals(self, batch_id: str) -> Row:
        i = _ITEMS.c
        return (await self.connection.execute(
            select(func.coalesce(func.sum(i.assistance), 0).label("assistance"),
                   func.coalesce(func.sum(i.re_assistance), 0).label("re_assistance"),
                   func.count().filter(i.problem_code.is_not(None)).label("not_computed"))
            .where(i.batch_id == batch_id))).one()

    async def move(self, batch_id: str, from_status: Status, to_status: Status, **values: Any) -> bool:
        found = await self.connection.execute(
            update(_BATCHES).where(_BATCHES.c.id == batch_id, _BATCHES.c.status == from_status)
            .values(status=to_status, **values))
        return found.rowcount == 1

    async def commit_chunk(
        self, batch_id: str, chunk: int, results: Sequence[dict[str, Any]], at: datetime, last: bool,
    ) -> bool:
        """The chunk's results and the batch's progress together; False (nothing written) when the
        batch is no longer at this chunk (another worker committed it first)."""
        b = _BATCHES.c
        moved = await self.connection.execute(
            update(_BATCHES).where(b.id == batch_id, b.chunks_done == chunk, b.status == Status.CALCULATING)
            .values(chunks_done=chunk + 1, rows_done=b.rows_done + len(results),
                    **({"status": Status.CALCULATED, "calculated_at": at} if last else {})))
        if moved.rowcount != 1:
            return False
        i = _ITEMS.c
        await self.connection.execute(
            update(_ITEMS).where(i.batch_id == bindparam("b_batch"), i.line == bindparam("b_line"))
            .values(computed=True, **{name: bindparam(f"v_{name}") for name in RESULT_FIELDS}),
            [{"b_batch": batch_id, "b_line": r["line"], **{f"v_{n}": r[n] for n in RESULT_FIELDS}} for r in results])
        return True
