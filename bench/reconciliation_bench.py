"""Reconciling a hospital's 100,000-line detail upload (like 3202), against PostgreSQL scanning the
same rows.

    python -m bench.reconciliation_bench [--settlements 100000] [--repeat 3]

Starts the services on fresh PostgreSQL databases (bench.platform), seeds N settlements of one
hospital settled over one month (and as many of another hospital, so the index has to choose), then
builds the hospital's CSV of N lines with 5 differences of each kind. Times the detail reconciliation
through the service layer (ReconciliationService: parse, read, compare, record) and over HTTP (POST
/v1/reconciliations/detail/csv to the settlement process), and a plain PostgreSQL scan of the same
rows (the repository's own SELECT fetched by asyncpg; and the server's execution time, EXPLAIN
ANALYZE). Prints the best and median of each, the ratios to the scan, the CPU time the in-process
runs took (on a loaded machine wall time runs far above it), and the core count.
Everything runs on this machine, over loopback.
"""

import argparse
import asyncio
import json
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import asyncpg
import httpx

from bench.platform import bench_platform
from services.settlement.reconciliation.rules import CSV_COLUMNS, Kind, Window, csv_book_lines
from services.settlement.reconciliation.schemas import Range
from services.settlement.reconciliation.service import ReconciliationService
from shared.auth import Principal, Role
from shared.db import Database, driver_dsn

HOSPITAL, OTHER = "060001", "060002"
FROM, TO = date(2023, 3, 1), date(2023, 3, 31)
EACH_KIND = 5  # differences of each kind in the upload

# One statement seeds a hospital's month: settled at spread minutes of March (Beijing), amounts a
# function of n; the first EACH_KIND are cancelled here.
_SEED = """
INSERT INTO settlements (id, hospital_code, his_serial, request_hash, status, channel, id_number, year,
    medical_type, admitted_on, discharged_on, total, basic_insurance, critical_illness, assistance,
    re_assistance, personal_share, needs_recalculation, created_at, settled_at, cancelled_at)
SELECT md5($1 || n), $1, 'ZY' || lpad(n::text, 7, '0'), 'bench', CASE WHEN n <= $3 THEN 'cancelled' ELSE 'settled' END,
    'his', '370602199001011239', 2023, 'inpatient', DATE '2023-02-20', DATE '2023-03-01',
    1000 + n % 5000 + 0.50, 600 + n % 3000, n % 700 + 0.10, n % 400 + 0.40, 0, 400, false,
    TIMESTAMPTZ '2023-03-01 00:00+08' + (n % 44640) * INTERVAL '1 minute',
    TIMESTAMPTZ '2023-03-01 00:00+08' + (n % 44640) * INTERVAL '1 minute',
    CASE WHEN n <= $3 THEN TIMESTAMPTZ '2023-04-02 09:00+08' END
FROM generate_series(1, $2) AS n
"""
_SCAN = """SELECT his_serial, status, total, basic_insurance, critical_illness, assistance, re_assistance
FROM settlements WHERE hospital_code = $1 AND settled_at >= $2 AND settled_at < $3 AND status <> 'in_progress'"""


def amounts(n: int) -> list[str]:
    """The seed's amounts of settlement n, as the hospital writes them."""
    return [f"{1000 + n % 5000}.50", f"{600 + n % 3000}.00", f"{n % 700}.10", f"{n % 400}.40", "0.00"]


def his_file(count: int) -> bytes:
    """The hospital's CSV: every settlement, less EACH_KIND missing there, EACH_KIND extra (missing here),
    EACH_KIND with an amount 1 fen off, EACH_KIND cancelled here (not there) and EACH_KIND cancelled there."""
    rows = [",".join(CSV_COLUMNS)]
    for n in range(1, count + 1):
        if count - EACH_KIND < n:
            continue  # missing there
        line = amounts(n)
        if EACH_KIND < n <= 2 * EACH_KIND:
            line[3] = f"{n % 400}.41"  # assistance differs by a fen
        cancelled = "1" if 2 * EACH_KIND < n <= 3 * EACH_KIND else "0"
        rows.append(",".join([f"ZY{n:07d}", *line, cancelled]))
    rows += [",".join([f"XX{n:07d}", *amounts(n), "0"]) for n in range(1, EACH_KIND + 1)]
    return ("\n".join(rows) + "\n").encode()


CPU_SECONDS: dict[str, float] = {}  # the best run's CPU time of this process (the service layer runs here)


async def timed(repeat: int, run: Callable[[], Awaitable[Any]], name: str = "") -> tuple[list[float], Any]:
    seconds, result = [], None
    for _ in range(repeat):
        started, cpu = time.perf_counter(), time.process_time()
        result = await run()
        seconds.append(time.perf_counter() - started)
        if seconds[-1] == min(seconds):
            CPU_SECONDS[name] = time.process_time() - cpu
    return seconds, result


def show(name: str, seconds: list[float], scan: float, cpu: str = "") -> None:
    best, median = min(seconds), statistics.median(seconds)
    print(f"{name:<34} best {best:7.3f} s   median {median:7.3f} s   best / scan {best / scan:6.1f}"
          + (f"   (its CPU here {CPU_SECONDS[cpu]:.3f} s)" if cpu else ""))


async def run(url: str, settlement_url: str, token: str, count: int, repeat: int) -> int:
    connection = await asyncpg.connect(driver_dsn(url))
    try:
        await connection.execute(_SEED, HOSPITAL, count, EACH_KIND)
        await connection.execute(_SEED, OTHER, count, 0)
        await connection.execute("ANALYZE settlements")
        start, end = Window(FROM, TO).instants()
        scan_seconds, rows = await timed(repeat, lambda: connection.fetch(_SCAN, HOSPITAL, start, end))
        plan = await connection.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) {_SCAN}", HOSPITAL, start, end)
        server_ms = json.loads(plan)[0]["Execution Time"]
    finally:
        await connection.close()
    assert len(rows) == count, len(rows)
    content = his_file(count)
    print(f"{count} settlements of {HOSPITAL} in March (and {count} of {OTHER}); upload {len(content) / 1e6:.1f} MB,"
          f" {EACH_KIND} differences of each kind", flush=True)

    database = Database(url)
    service = ReconciliationService(database)
    ops = Principal(subject="bench-ops", role=Role.OPS)
    scope = Range(hospital_code=HOSPITAL, from_date=FROM, to_date=TO)
    try:
        service_seconds, (result, _) = await timed(
            repeat, lambda: service.detail(scope, lambda: csv_book_lines(content), ops), "service")
        parse_seconds, _ = await timed(repeat, lambda: asyncio.to_thread(csv_book_lines, content), "parse")
    finally:
        await database.dispose()
    expected = {"ours": count, "theirs": count, **dict.fromkeys(Kind, EACH_KIND)}
    assert result.summary == expected, result.summary

    async with httpx.AsyncClient(timeout=120) as client:
        async def post() -> dict[str, Any]:
            response = await client.post(
                f"{settlement_url}/v1/reconciliations/detail/csv", content=content,
                params={"hospital_code": HOSPITAL, "from_date": FROM.isoformat(), "to_date": TO.isoformat()},
                headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"})
            response.raise_for_status()
            return response.json()
        http_seconds, answer = await timed(repeat, post)
    assert answer["summary"] == expected, answer["summary"]

    scan = min(scan_seconds)
    print(f"cores: {os.cpu_count()} (usable by this process: {len(os.sched_getaffinity(0))})")
    print(f"{'PostgreSQL scan (asyncpg fetch)':<34} best {scan:7.3f} s   "
          f"median {statistics.median(scan_seconds):7.3f} s   server execution {server_ms / 1000:.3f} s")
    show("parse the CSV alone", parse_seconds, scan, "parse")
    show("detail, service layer", service_seconds, scan, "service")
    show("detail, over HTTP", http_seconds, scan)
    print(f"ratio service / scan: {min(service_seconds) / scan:.1f}; HTTP / scan: {min(http_seconds) / scan:.1f};"
          f" service / server execution: {min(service_seconds) / (server_ms / 1000):.1f}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--settlements", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with bench_platform() as platform:
        token = platform.issuer.mint(subject="bench-ops", role=Role.OPS)
        return asyncio.run(run(platform.databases["settlement"], platform.url("settlement"), token,
                               args.settlements, args.repeat))


if __name__ == "__main__":
    raise SystemExit(main())
