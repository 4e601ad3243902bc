"""Closing a month of one hospital's settlements into its claim, against PostgreSQL scanning them.

    python -m bench.claims_bench [--settlements 100000]

Creates a fresh settlement database ($TEST_DATABASE_URL, default the local server), seeds (not
measured) the hospital's month of settlements, as many again for another hospital and for the
hospital's previous month, with 1% of that previous month claimed and cancelled since (to be
deducted), then times the close of the month (ClaimService.close: the lines, the deductions, the
sums, one transaction) and a plain scan of the same rows (count and sums over the hospital's month),
then the claim's Excel as a clerk downloads it. Prints them, the ratio and the machine's core count.
"""

import argparse
import asyncio
import os
import time
from datetime import UTC, date, datetime
from pathlib import Path

import asyncpg

from services.settlement.claims.document import claim_workbook
from services.settlement.claims.repository import ClaimRepository
from services.settlement.claims.rules import Status, instants
from services.settlement.claims.schemas import Closing
from services.settlement.claims.service import ClaimService
from services.settlement.documents.excel import write_xlsx
from services.settlement.peers import Peers
from services.settlement.settlements.service import SettlementFlow
from shared.auth import Principal, Role
from shared.db import Database, driver_dsn
from shared.http_client import ServiceClient
from shared.migrations import upgrade
from shared.rate_limit import RateLimiter
from tests.support.postgres import create_database, drop_database

ROOT = Path(__file__).resolve().parents[1]
HOSPITAL, OTHER = "060001", "060002"
MONTH, PREVIOUS = (date(2026, 10, 1), date(2026, 10, 31)), (date(2026, 9, 1), date(2026, 9, 30))
OPS = Principal(subject="bench-ops", role=Role.OPS)
UNRECONCILED = Closing(override_reason="bench: no reconciliation")  # the gate's look-up is still timed

# Example 1's figures (POLICY.md §8) on every settlement, spread evenly over the period's instants.
_SEED = """
INSERT INTO settlements (id, hospital_code, his_serial, request_hash, status, channel, id_number, year, medical_type,
    admitted_on, discharged_on, total, basic_insurance, critical_illness, special_drugs, large_expense, assistance,
    re_assistance, personal_share, needs_recalculation, created_at, settled_at)
SELECT md5($1 || n), $2, $1 || n, 'bench', 'settled', 'his', '370602199001011239', 2026, 'inpatient',
    $3::date - 10, $3::date, 50000, 26520, 7462, 0, 0, 8814.40, 0, 7203.60, false,
    $4::timestamptz + (($5::timestamptz - $4::timestamptz) * n / ($6 + 1)),
    $4::timestamptz + (($5::timestamptz - $4::timestamptz) * n / ($6 + 1))
FROM generate_series(1, $6) AS n
"""
_SCAN = """
SELECT count(*), sum(total), sum(basic_insurance), sum(critical_illness), sum(assistance), sum(re_assistance)
FROM settlements WHERE hospital_code = $1 AND settled_at >= $2 AND settled_at < $3 AND status = 'settled'
"""


async def seed(url: str, count: int) -> None:
    connection = await asyncpg.connect(driver_dsn(url))
    try:
        start, end = instants(*MONTH)
        before, _ = instants(*PREVIOUS)
        await connection.execute(_SEED, "M-", HOSPITAL, MONTH[1], start, end, count)
        await connection.execute(_SEED, "O-", OTHER, MONTH[1], start, end, count)
        await connection.execute(_SEED, "P-", HOSPITAL, PREVIOUS[1], before, start, count)
        await connection.execute("ANALYZE settlements")
    finally:
        await connection.close()


async def open_period(database: Database, period_id: str, bounds: tuple[date, date]) -> None:
    async with database.engine.begin() as connection:
        await ClaimRepository(connection).add_period(
            id=period_id, hospital_code=HOSPITAL, rule_id="yantai-2020", starts_on=bounds[0], ends_on=bounds[1],
            status=Status.OPEN, opened_at=datetime.now(UTC), opened_by="bench")


async def scan(url: str) -> tuple[float, int]:
    connection = await asyncpg.connect(driver_dsn(url))
    try:
        start, end = instants(*MONTH)
        await connection.fetchrow(_SCAN, HOSPITAL, start, end)  # warm, as the close found them
        began = time.perf_counter()
        row = await connection.fetchrow(_SCAN, HOSPITAL, start, end)
        return time.perf_counter() - began, row["count"]
    finally:
        await connection.close()


async def run(url: str, count: int) -> None:
    await seed(url, count)
    database = Database(url)
    unused = ServiceClient("unused", "http://127.0.0.1:9")  # closing asks no peer
    claims = ClaimService(database, SettlementFlow(
        database, Peers(registry=unused, catalog=unused, assistance=unused), lookup_limiter=RateLimiter(1, 1),
        deadline_seconds=30, max_attempts=1))
    try:
        await open_period(database, "previous".ljust(32, "0"), PREVIOUS)
        await claims.close("previous".ljust(32, "0"), UNRECONCILED, OPS)
        cancelled = max(count // 100, 1)
        connection = await asyncpg.connect(driver_dsn(url))
        try:
            await connection.execute(
                "UPDATE settlements SET status = 'cancelled', cancelled_at = now() WHERE id IN "
                "(SELECT id FROM settlements WHERE his_serial LIKE 'P-%' ORDER BY id LIMIT $1)", cancelled)
            await connection.execute("ANALYZE settlements")
        finally:
            await connection.close()
        await open_period(database, "month".ljust(32, "0"), MONTH)
        began = time.perf_counter()
        claim = await claims.close("month".ljust(32, "0"), UNRECONCILED, OPS)
        close_seconds = time.perf_counter() - began
        scan_seconds, scanned = await scan(url)
        # The claim as the clerk downloads it (GET …/claim.xlsx): its lines read, then the workbook written.
        began = time.perf_counter()
        contents = await claims.contents("month".ljust(32, "0"), OPS, printout=False)
        read_seconds = time.perf_counter() - began
        workbook = write_xlsx(claim_workbook(contents))
        excel_seconds = time.perf_counter() - began
    finally:
        await database.dispose()
    assert (claim.settlements_count, claim.adjustments_count, scanned) == (count, cancelled, count)
    print(f"cores: {os.cpu_count()}")
    print(f"close of {count:,} settlements (+{cancelled:,} deductions): {close_seconds:.2f} s "
          f"(claimed back {claim.payable})")
    print(f"PostgreSQL scan of the same {scanned:,} rows (count and sums): {scan_seconds:.3f} s")
    print(f"ratio close / scan: {close_seconds / scan_seconds:.1f}")
    print(f"claim.xlsx of {count + cancelled:,} lines: {excel_seconds:.2f} s (reading them {read_seconds:.2f} s), "
          f"{len(workbook) / 1e6:.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--settlements", type=int, default=100_000)
    args = parser.parse_args()
    admin_url = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    url = create_database(admin_url, "bench_claims")
    try:
        upgrade(ROOT / "services" / "settlement", url)
        asyncio.run(run(url, args.settlements))
    finally:
        drop_database(admin_url, url)


if __name__ == "__main__":
    main()
