"""Reconciliation runs: read our books (never a lock, never a write to settlements or the ledger),
compare with the hospital's (rules), and record the run, its one write, in one transaction."""

import json
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from starlette.concurrency import run_in_threadpool

from services.settlement.monitoring.rules import period_of
from services.settlement.reconciliation.repository import ReconciliationRepository
from services.settlement.reconciliation.rules import (
    FUNDS,
    LABELS,
    NATIONAL_FIELDS,
    BookLine,
    Difference,
    Kind,
    Window,
    compare_detail,
    compare_totals,
    summary,
)
from services.settlement.reconciliation.schemas import DetailResult, Range, Run, Runs, TotalsRequest, TotalsResult
from services.settlement.settlements.service import ensure_own_hospital
from shared.auth import Principal, Role, ensure_hospital_access
from shared.categories import Agency
from shared.db import Database
from shared.errors import Forbidden, NotFound, Unprocessable

DIFFERENCES_SHOWN = 1000


def agency_not_allowed() -> Forbidden:
    return Forbidden("仅民政部门可对账 (only civil affairs reconciles)", code="agency_not_allowed")


def range_reversed() -> Unprocessable:
    return Unprocessable("起始日期晚于截止日期 (from_date is after to_date)", code="invalid_date_range")


def run_not_found() -> NotFound:
    return NotFound("无此对账记录 (no such reconciliation)", code="reconciliation_not_found")


def ensure_may_reconcile(principal: Principal, hospital_code: str) -> None:
    """A HIS its own hospital only (403, as a settlement); civil affairs and ops any hospital."""
    if principal.role is Role.AGENCY and principal.agency != Agency.CIVIL_AFFAIRS:
        raise agency_not_allowed()
    ensure_own_hospital(principal, hospital_code)


def window_of(scope: Range) -> Window:
    """The settlement days asked for: from_date not after to_date, a year at most (as monitoring)."""
    period = period_of(None, scope.from_date, scope.to_date)
    return Window(period.first_day, period.last_day)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def difference_out(difference: Difference) -> dict[str, Any]:
    return {"his_serial": difference.his_serial, "kind": difference.kind.value, "item": difference.item,
            "ours": _text(difference.ours), "theirs": _text(difference.theirs),
            "difference": _text(difference.difference)}


def differences_of(stored: str | None) -> list[Difference]:
    return [Difference(serial, Kind(kind), item, None if ours is None else Decimal(ours),
                       None if theirs is None else Decimal(theirs))
            for serial, kind, item, ours, theirs in json.loads(stored or "[]")]


class ReconciliationService:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def totals(self, request: TotalsRequest, principal: Principal) -> TotalsResult:
        ensure_may_reconcile(principal, request.hospital_code)
        window = window_of(request)
        async with self.database.autocommit.connect() as connection:
            ours = await ReconciliationRepository(connection).totals(request.hospital_code, window)
        theirs = {"count": Decimal(request.count), "total": request.total, "fund_total": request.fund_total,
                  **{name: getattr(request.funds, name) for name in FUNDS}}
        compared = compare_totals(ours, theirs)
        lines = [{"item": line.item, "label": LABELS[line.item], "national_field": NATIONAL_FIELDS.get(line.item),
                  "ours": str(line.ours), "theirs": str(line.theirs), "difference": str(line.difference)}
                 for line in compared]
        matched = all(line.difference == 0 for line in compared)
        run = await self._record("totals", request, principal, matched, lines, None)
        return TotalsResult.model_validate(run | {"lines": lines})

    async def detail(
        self, scope: Range, read_upload: Callable[[], list[BookLine]], principal: Principal,
    ) -> tuple[DetailResult, list[Difference]]:
        """The run, and every difference (the answer shows the first `DIFFERENCES_SHOWN`). The upload
        is read once the caller may reconcile the range; a hundred thousand lines are a second of CPU
        to read and compare, off the event loop."""
        ensure_may_reconcile(principal, scope.hospital_code)
        window = window_of(scope)
        theirs = await run_in_threadpool(read_upload)
        async with self.database.autocommit.connect() as connection:
            ours = await ReconciliationRepository(connection).book_lines(scope.hospital_code, window)
        differences = await run_in_threadpool(compare_detail, ours, theirs)
        counts = summary(len(ours), len(theirs), differences)
        stored = json.dumps([[d.his_serial, d.kind.value, d.item, _text(d.ours), _text(d.theirs)] for d in differences])
        run = await self._record("detail", scope, principal, not differences, counts, stored)
        return self._detail_result(run, counts, differences), differences

    async def run(self, run_id: str, principal: Principal) -> TotalsResult | DetailResult:
        row = await self._row(run_id, principal)
        run = _run(row)
        if row.kind == "totals":
            return TotalsResult.model_validate(run | {"lines": json.loads(row.summary)})
        return self._detail_result(run, json.loads(row.summary), differences_of(row.differences))

    async def runs(
        self, principal: Principal, *, hospital_code: str | None, from_date: date | None, to_date: date | None,
    ) -> Runs:
        """A HIS lists its own hospital's runs only: unnamed, its own; another's, refused (403, as a run)."""
        if principal.role is Role.HIS:
            hospital_code = hospital_code or principal.hospital_code
        if hospital_code is not None:
            ensure_may_reconcile(principal, hospital_code)
        elif principal.role is Role.AGENCY and principal.agency != Agency.CIVIL_AFFAIRS:
            raise agency_not_allowed()
        if from_date is not None and to_date is not None and from_date > to_date:
            raise range_reversed()
        async with self.database.autocommit.connect() as connection:
            rows = await ReconciliationRepository(connection).runs(
                hospital_code=hospital_code, from_date=from_date, to_date=to_date)
        return Runs(items=[Run.model_validate(_run(row)) for row in rows])

    async def differences(self, run_id: str, principal: Principal) -> list[Difference]:
        """Every difference of a detail run (none for a totals run)."""
        return differences_of((await self._row(run_id, principal)).differences)

    async def _row(self, run_id: str, principal: Principal) -> Any:
        if principal.role is Role.AGENCY and principal.agency != Agency.CIVIL_AFFAIRS:
            raise agency_not_allowed()
        async with self.database.autocommit.connect() as connection:
            row = await ReconciliationRepository(connection).run(run_id)
        if row is None:
            raise run_not_found()
        ensure_hospital_access(principal, row.hospital_code, code="reconciliation_not_found")
        return row

    async def _record(
        self, kind: str, scope: Range, principal: Principal, matched: bool, figures: object, differences: str | None,
    ) -> dict[str, Any]:
        """The run, written in a transaction of its own: the audit of who reconciled what, and when."""
        values = {"id": uuid.uuid4().hex, "kind": kind, "hospital_code": scope.hospital_code,
                  "from_date": scope.from_date, "to_date": scope.to_date, "matched": matched,
                  "run_at": datetime.now(UTC), "run_by": principal.subject}
        async with self.database.engine.begin() as connection:
            await ReconciliationRepository(connection).add_run(
                **values, run_by_role=principal.role.value, summary=json.dumps(figures), differences=differences)
        return values

    @staticmethod
    def _detail_result(run: dict[str, Any], counts: dict[str, int], differences: list[Difference]) -> DetailResult:
        shown = [difference_out(d) for d in differences[:DIFFERENCES_SHOWN]]
        return DetailResult.model_validate(run | {"summary": counts, "differences": shown,
                                                  "differences_shown": len(shown)})


def _run(row: Any) -> dict[str, Any]:
    return {name: getattr(row, name) for name in ("id", "kind", "hospital_code", "from_date", "to_date", "matched",
                                                   "run_at", "run_by")}
