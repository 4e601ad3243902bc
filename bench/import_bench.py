"""List import throughput on PostgreSQL: a 200,000-row 低保 list pushed to the registry.

    python -m bench.import_bench [--rows 200000]

Creates fresh registry and catalog databases ($TEST_DATABASE_URL, default the local server),
registers the persons straight into the registry database (setup, not measured), starts registry
and catalog, then times: the JSON import of the whole list (every row a new identity), the same
batch sent again (a replay), and a full-list CSV of the same region one month later with 1% of the
people gone and 1% new (a dry run, then the import). Prints rows per second for each.
"""

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx

from deploy.run_local import environment, stop_all, wait_healthy
from shared.auth import Role, SigningKey, TokenIssuer
from shared.id_number import check_digit
from shared.migrations import upgrade
from tests.support.ports import free_ports
from tests.support.postgres import create_database, drop_database

ROOT = Path(__file__).resolve().parents[1]
REGION = "370602"


def id_numbers(count: int) -> list[str]:
    """Distinct valid ID numbers (birth date and sequence number enumerate them)."""
    numbers, day = [], date(1940, 1, 1)
    while len(numbers) < count:
        for sequence in range(1000):
            first17 = f"{REGION}{day:%Y%m%d}{sequence:03d}"
            numbers.append(first17 + check_digit(first17))
        day += timedelta(days=1)
    return numbers[:count]


async def register(database_url: str, numbers: list[str]) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        now = datetime.now(UTC)
        await connection.copy_records_to_table("persons", columns=[
            "id_number", "name", "gender", "birth_on", "insurance_type", "region_code", "created_at"], records=[
            (n, "压测", "male" if int(n[16]) % 2 else "female", date(int(n[6:10]), int(n[10:12]), int(n[12:14])),
             "resident", REGION, now) for n in numbers])
        await connection.execute(
            "INSERT INTO insurance_events (person_id, effective_from, status, insurance_type, recorded_by,"
            " recorded_at) SELECT id, DATE '2015-01-01', 'active', 'resident', 'bench', now() FROM persons")
    finally:
        await connection.close()


def timed(label: str, rows: int, send: "callable[[], httpx.Response]") -> dict[str, object]:  # type: ignore[valid-type]
    started = time.perf_counter()
    response = send()
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.text[:500]
    body = response.json()
    print(f"{label:<34} {rows / elapsed:9.0f} rows/s   {elapsed:6.1f} s   added {body['added']}, "
          f"unchanged {body['unchanged']}, ended {body['ended']}, rejected {body['rejected']}", flush=True)
    return body


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()
    admin_url = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    databases = {s: create_database(admin_url, f"bench_{s}") for s in ("registry", "catalog")}
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for service, url in databases.items():
            upgrade(ROOT / "services" / service, url)
        numbers = id_numbers(args.rows + args.rows // 100)
        listed, newcomers = numbers[:args.rows], numbers[args.rows:]
        asyncio.run(register(databases["registry"], numbers))
        ports = dict(zip(("registry", "catalog", "assistance", "settlement"), free_ports(4), strict=True))
        key = SigningKey.generate()
        env = environment(Path(tempfile.mkdtemp(prefix="bench-")), ports, "127.0.0.1",
                          issuer_public_keys=key.public_pem())
        for service, url in databases.items():
            env[f"{service.upper()}_DATABASE_URL"] = url
            env[f"{service.upper()}_LOG_LEVEL"] = "WARNING"
        for service in ("catalog", "registry"):
            processes.append(subprocess.Popen(
                [sys.executable, "-m", f"services.{service}", "serve", "--port", str(ports[service])],
                cwd=ROOT, env=env,
            ))
            wait_healthy(f"http://127.0.0.1:{ports[service]}", processes[-1])
        token = TokenIssuer(key, "assistance-platform").mint(subject="bench", role=Role.AGENCY,
                                                             agency="civil_affairs")
        client = httpx.Client(base_url=f"http://127.0.0.1:{ports['registry']}", timeout=600,
                              headers={"Authorization": f"Bearer {token}"})
        print(f"{args.rows} rows, registry and catalog on PostgreSQL\n", flush=True)
        body = {"batch_id": "BENCH-2023-04", "category": "minimum_allowance", "list_date": "2023-04-10",
                "document_number": "芝民〔2023〕4月", "rows": [{"id_number": n, "region_code": REGION} for n in listed]}
        timed("JSON import, every row new", args.rows, lambda: client.post("/v1/imports", json=body))
        timed("the same batch sent again", args.rows, lambda: client.post("/v1/imports", json=body))

        random.seed(2023)
        gone = set(random.sample(listed, args.rows // 100))
        may = [n for n in listed if n not in gone] + newcomers
        content = ("身份证号,区划代码\n" + "".join(f"{n},{REGION}\n" for n in may)).encode("gb18030")
        params = {"batch_id": "BENCH-2023-05", "category": "minimum_allowance", "mode": "full", "region_code": REGION,
                  "list_date": "2023-05-10", "document_number": "芝民〔2023〕5月完整名单"}
        headers = {"Content-Type": "text/csv"}
        timed("full list CSV (GB18030), dry run", len(may),
              lambda: client.post("/v1/imports/csv", params={**params, "dry_run": "true"}, content=content,
                                  headers=headers))
        timed("full list CSV (GB18030), import", len(may),
              lambda: client.post("/v1/imports/csv", params=params, content=content, headers=headers))
        client.close()
        return 0
    finally:
        stop_all(processes)
        for url in databases.values():
            drop_database(admin_url, url)


if __name__ == "__main__":
    sys.exit(main())
