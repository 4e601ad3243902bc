"""Catalog entries and catalog imports, in SQLAlchemy Core: a catalog of 100,000 entries is read
and written in chunks, never row by row through the ORM."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.catalog.items.models import ItemImportBatchRow, ItemImportRowRow, ItemRow
from services.catalog.items.rules import Entry
from shared.db import chunks, insert_many, one_of

ITEMS, ROWS = ItemRow.__table__, ItemImportRowRow.__table__
ENTRY_COLUMNS = ("code", "name", "kind", "category", "pre_self_pay_ratio", "price_limit", "valid_from", "valid_to")


class ItemRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.postgres = session.bind.dialect.name == "postgresql"

    async def versions(self, codes: Sequence[str]) -> dict[str, list[Entry]]:
        """Every stored version of these codes, oldest first."""
        found: dict[str, list[Entry]] = {}
        columns = [ITEMS.c[name] for name in ENTRY_COLUMNS]
        for part in chunks(sorted(set(codes)), 20_000 if self.postgres else 500):
            rows = await self.session.execute(
                select(*columns, ITEMS.c.id).where(one_of(self.session.bind.dialect.name, ITEMS.c.code, part))
                .order_by(ITEMS.c.code, ITEMS.c.valid_from))
            for row in rows:
                found.setdefault(row.code, []).append(Entry(*row))
        return found

    async def search(self, *, code: str | None, name: str | None, limit: int, offset: int) -> list[ItemRow]:
        query = select(ItemRow)
        if code is not None:
            query = query.where(ItemRow.code == code)
        if name:
            escaped = name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(ItemRow.name.like(f"%{escaped}%", escape="\\"))
        return list(await self.session.scalars(
            query.order_by(ItemRow.code, ItemRow.valid_from).limit(limit).offset(offset)))

    async def serialize_imports(self) -> None:
        """One catalog import at a time (two files may name the same codes): PostgreSQL takes a
        transaction-level lock; SQLite's write lock is taken when the transaction begins."""
        if self.postgres:
            await self.session.execute(text("SELECT pg_advisory_xact_lock(hashtext('item_catalog_import'))"))

    async def batch(self, batch_id: str) -> ItemImportBatchRow | None:
        return await self.session.get(ItemImportBatchRow, batch_id)

    async def add_batch(self, batch: ItemImportBatchRow) -> None:
        self.session.add(batch)
        await self.session.flush()

    async def insert_entries(self, entries: Sequence[Entry], batch_id: str, at: datetime) -> None:
        await insert_many(self.session, ITEMS, [
            {**{name: getattr(e, name) for name in ENTRY_COLUMNS}, "batch_id": batch_id, "recorded_at": at}
            for e in entries])

    async def update_entries(self, updates: dict[int, Entry], batch_id: str, at: datetime) -> None:
        if not updates:
            return
        statement = update(ITEMS).where(ITEMS.c.id == bindparam("row_id")).values(
            {name: bindparam(f"new_{name}") for name in ENTRY_COLUMNS if name not in ("code", "valid_from")}
            | {"batch_id": batch_id, "recorded_at": at})
        values = [{"row_id": row_id, **{f"new_{name}": getattr(e, name) for name in ENTRY_COLUMNS
                                        if name not in ("code", "valid_from")}} for row_id, e in updates.items()]
        for part in chunks(values, 5000):
            await (await self.session.connection()).execute(statement, list(part))

    async def insert_rows(self, values: list[dict[str, Any]]) -> None:
        await insert_many(self.session, ROWS, values)

    async def refresh_statistics(self) -> None:
        """After a large file, let PostgreSQL see the new table size (plans made on an empty table
        would scan it whole)."""
        if self.postgres:
            await self.session.execute(text("ANALYZE items, item_import_rows"))

    async def rows(self, batch_id: str, *, outcome: str | None, limit: int, offset: int) -> list[ItemImportRowRow]:
        query = select(ItemImportRowRow).where(ItemImportRowRow.batch_id == batch_id)
        if outcome is not None:
            query = query.where(ItemImportRowRow.outcome == outcome)
        return list(await self.session.scalars(query.order_by(ItemImportRowRow.id).limit(limit).offset(offset)))
