"""Every query of the recalculation batches."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.settlement.corrections.rules import FUNDS
from services.settlement.recalculation.models import (
    RecalculationBatchRow,
    RecalculationItemRow,
    RecalculationPersonRow,
    RecalculationSettlementRow,
)
from services.settlement.recalculation.rules import RANGE, RUNNING, DischargeRange, Status
from services.settlement.settlements.models import SettlementRow
from shared.regions import region_prefix

_BATCHES = RecalculationBatchRow.__table__
_ITEMS = RecalculationItemRow.__table__
_PERSONS = RecalculationPersonRow.__table__
_REPLAYED = RecalculationSettlementRow.__table__
_SETTLEMENTS = SettlementRow.__table__
RESULT_FIELDS = ("policy_id", "identity_applied", "assistance", "re_assistance", "personal_share", "reason",
                 "problem_code")
PERSON_FIELDS = ("problem_code", "reason")


class RecalculationRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def create(
        self, batch: dict[str, Any], items: Sequence[dict[str, Any]], persons: Sequence[dict[str, Any]] = (),
    ) -> None:
        """A batch with its uploaded rows (`items`) or the persons of its range (`persons`)."""
        await self.connection.execute(insert(_BATCHES).values(**batch))
        for table, rows in ((_ITEMS, items), (_PERSONS, persons)):
            if rows:
                await self.connection.execute(insert(table), [dict(row, batch_id=batch["id"]) for row in rows])

    # range batches

    async def lock_ranges(self) -> None:
        """Until the transaction ends, no other range batch is made (two overlapping ones would both
        find none running). SQLite runs one writer at a time."""
        if self.connection.dialect.name == "postgresql":
            await self.connection.execute(text("SELECT pg_advisory_xact_lock(hashtext('recalculation_ranges'))"))

    async def running_ranges(self) -> list[Row]:
        b = _BATCHES.c
        return list(await self.connection.execute(
            select(b.id, b.from_date, b.to_date, b.region_code, b.hospital_code)
            .where(b.source == RANGE, b.status.in_(RUNNING))))

    async def range_settlements(self, discharges: DischargeRange) -> list[Row]:
        """The settled settlements of the range (id, person, discharge), by person and discharge."""
        s = _SETTLEMENTS.c
        query = select(s.id, s.id_number, s.discharged_on).where(
            s.status == "settled", s.discharged_on >= discharges.from_date, s.discharged_on <= discharges.to_date)
        if discharges.hospital_code is not None:
            query = query.where(s.hospital_code == discharges.hospital_code)
        if discharges.region_code is not None:
            region = s.calculation_input["region_code"].as_string()
            query = query.where(region.startswith(region_prefix(discharges.region_code)))
        return list(await self.connection.execute(query.order_by(s.id_number, s.discharged_on, s.settled_at, s.id)))

    async def persons(self, batch_id: str, chunk: int) -> list[Row]:
        p = _PERSONS.c
        return list(await self.connection.execute(
            select(_PERSONS).where(p.batch_id == batch_id, p.chunk == chunk).order_by(p.id_number)))

    async def replayed(self, batch_id: str) -> list[Row]:
        """A range batch's settlements replayed, by person and discharge order."""
        r = _REPLAYED.c
        return list(await self.connection.execute(
            select(_REPLAYED).where(r.batch_id == batch_id).order_by(r.id_number, r.position)))

    async def not_replayed(self, batch_id: str) -> list[Row]:
        p = _PERSONS.c
        return list(await self.connection.execute(
            select(_PERSONS).where(p.batch_id == batch_id, p.problem_code.is_not(None)).order_by(p.id_number)))

    async def changed_person_years(self, batch_id: str) -> list[tuple[str, int, list[list[str]]]]:
        """(person, year, the person's windows) for each person-year whose replay moves anything."""
        r, p = _REPLAYED.c, _PERSONS.c
        moved = select(r.id_number, r.year).where(r.batch_id == batch_id, r.changed).distinct().subquery()
        rows = await self.connection.execute(
            select(moved.c.id_number, moved.c.year, p.windows)
            .join(_PERSONS, (p.batch_id == batch_id) & (p.id_number == moved.c.id_number))
            .order_by(moved.c.id_number, moved.c.year))
        return [(row.id_number, row.year, row.windows) for row in rows]

    async def range_totals(self, batch_id: str) -> Row:
        r, p = _REPLAYED.c, _PERSONS.c
        not_computed = (select(func.coalesce(func.sum(p.settlements), 0))
                        .where(p.batch_id == batch_id, p.problem_code.is_not(None)).scalar_subquery())
        return (await self.connection.execute(
            select(func.coalesce(func.sum(r.assistance_after), 0).label("assistance"),
                   func.coalesce(func.sum(r.re_assistance_after), 0).label("re_assistance"),
                   not_computed.label("not_computed"),
                   *(func.coalesce(func.sum(getattr(r, f"{name}_after") - getattr(r, f"{name}_before")), 0)
                     .label(f"{name}_difference") for name in FUNDS))
            .where(r.batch_id == batch_id))).one()

    async def save_replays(
        self, batch_id: str, persons: Sequence[dict[str, Any]], settlements: Sequence[dict[str, Any]],
    ) -> None:
        """A chunk's persons marked done (with why not, if not replayed) and the settlements replayed."""
        p = _PERSONS.c
        await self.connection.execute(
            update(_PERSONS).where(p.batch_id == bindparam("b_batch"), p.id_number == bindparam("b_person"))
            .values(computed=True, **{name: bindparam(f"v_{name}") for name in PERSON_FIELDS}),
            [{"b_batch": batch_id, "b_person": person["id_number"], **{f"v_{n}": person[n] for n in PERSON_FIELDS}}
             for person in persons])
        if settlements:
            await self.connection.execute(insert(_REPLAYED), [dict(row, batch_id=batch_id) for row in settlements])

    async def batch(self, batch_id: str, *, lock: bool = False) -> Row | None:
        query = select(_BATCHES).where(_BATCHES.c.id == batch_id)
        return (await self.connection.execute(query.with_for_update() if lock else query)).first()

    async def unfinished(self) -> list[str]:
        """Batches a crash may have left half done, oldest first."""
        b = _BATCHES.c
        query = select(b.id).where(b.status.in_(RUNNING)).order_by(b.created_at)
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

    async def advance(self, batch_id: str, chunk: int, rows: int, at: datetime, last: bool) -> bool:
        """The batch's progress past `chunk` (`rows` more done); False (nothing written) when the batch
        is no longer at this chunk (another worker committed it first). In the chunk's transaction."""
        b = _BATCHES.c
        moved = await self.connection.execute(
            update(_BATCHES).where(b.id == batch_id, b.chunks_done == chunk, b.status == Status.CALCULATING)
            .values(chunks_done=chunk + 1, rows_done=b.rows_done + rows,
                    **({"status": Status.CALCULATED, "calculated_at": at} if last else {})))
        return bool(moved.rowcount == 1)

    async def commit_chunk(
        self, batch_id: str, chunk: int, results: Sequence[dict[str, Any]], at: datetime, last: bool,
    ) -> bool:
        """The chunk's results and the batch's progress together; False (nothing written) when the
        batch is no longer at this chunk (another worker committed it first)."""
        if not await self.advance(batch_id, chunk, len(results), at, last):
            return False
        i = _ITEMS.c
        await self.connection.execute(
            update(_ITEMS).where(i.batch_id == bindparam("b_batch"), i.line == bindparam("b_line"))
            .values(computed=True, **{name: bindparam(f"v_{name}") for name in RESULT_FIELDS}),
            [{"b_batch": batch_id, "b_line": r["line"], **{f"v_{n}": r[n] for n in RESULT_FIELDS}} for r in results])
        return True
