"""A catalog import, start to end: one import at a time, the batch id checked, the stored versions
of the codes named read, the plan made (rules.plan_catalog) and written in the request's one
transaction with a result per row."""

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from starlette.concurrency import run_in_threadpool

from services.catalog.items.models import ItemImportBatchRow, ItemImportRowRow
from services.catalog.items.repository import ItemRepository
from services.catalog.items.rules import COUNTS, CatalogRow, Outcome, plan_catalog
from services.catalog.items.schemas import ItemImportSummary, RowOutcome
from shared.auth import Principal
from shared.errors import Unprocessable

PREVIEW_LIMIT = 1000
ANALYZE_AFTER_ROWS = 5000


@dataclass(frozen=True)
class CatalogFile:
    batch_id: str
    rows: list[CatalogRow]
    dry_run: bool

    def fingerprint(self) -> str:
        return hashlib.sha256(repr(self.rows).encode()).hexdigest()


@dataclass(frozen=True)
class Imported:
    summary: ItemImportSummary
    changes: list[Outcome]  # all of them, where the summary lists the first PREVIEW_LIMIT


async def run_import(items: ItemRepository, data: CatalogFile, principal: Principal) -> Imported:
    fingerprint = await run_in_threadpool(data.fingerprint)
    if not data.dry_run:
        await items.serialize_imports()
    stored = await items.batch(data.batch_id)
    if stored is not None:  # a dry run of a stored batch answers what sending it would
        if stored.request_hash != fingerprint:
            raise Unprocessable("该批次号已用于另一份目录文件 (this batch id was used for a different file)",
                                code="batch_id_reused")
        return Imported(await stored_summary(items, stored, replayed=True), [])
    current = await items.versions([row.code for row in data.rows if row.entry])
    plan = await run_in_threadpool(plan_catalog, data.rows, current)  # off the event loop, as the parsing
    if not data.dry_run:
        now = datetime.now(UTC)
        await items.add_batch(ItemImportBatchRow(
            batch_id=data.batch_id, request_hash=fingerprint, rows=len(data.rows), created_by=principal.subject,
            created_at=now, **plan.counts()))
        await items.update_entries(plan.updates, data.batch_id, now)
        await items.insert_entries(list(plan.inserts.values()), data.batch_id, now)
        await items.insert_rows([
            {"batch_id": data.batch_id, "row_no": o.row_no, "code": o.code[:64], "outcome": o.outcome,
             "action": o.action, "reason_code": o.reason_code, "message": (o.message or "")[:200] or None}
            for o in plan.outcomes])
        if len(data.rows) >= ANALYZE_AFTER_ROWS:
            await items.refresh_statistics()
    changes = plan.changes() if data.dry_run else plan.rejections()
    summary = ItemImportSummary(
        batch_id=data.batch_id, dry_run=data.dry_run, replayed=False, rows=len(data.rows), **plan.counts(),
        changes=[outcome_out(o) for o in changes[:PREVIEW_LIMIT]], changes_total=len(changes),
        truncated=len(changes) > PREVIEW_LIMIT,
    )
    return Imported(summary, changes)


def outcome_out(outcome: Outcome | ItemImportRowRow) -> RowOutcome:
    return RowOutcome(row_no=outcome.row_no, code=outcome.code, outcome=outcome.outcome,  # type: ignore[arg-type]
                      action=outcome.action, reason_code=outcome.reason_code,  # type: ignore[arg-type]
                      message=outcome.message)


async def stored_summary(items: ItemRepository, stored: ItemImportBatchRow, *, replayed: bool) -> ItemImportSummary:
    """A stored batch's result, with its rejected rows as when it was imported."""
    rejected = await items.rows(stored.batch_id, outcome="rejected", limit=PREVIEW_LIMIT, offset=0)
    return ItemImportSummary(
        batch_id=stored.batch_id, dry_run=False, replayed=replayed, rows=stored.rows,
        changes=[outcome_out(row) for row in rejected], changes_total=stored.rejected,
        truncated=stored.rejected > PREVIEW_LIMIT, **{key: getattr(stored, key) for key in COUNTS},
    )
