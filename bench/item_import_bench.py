"""Item catalog import on PostgreSQL: a 100,000-entry catalog file (GB18030 CSV, the bureau's layout)
imported into the catalog over HTTP.

    python -m bench.item_import_bench [--rows 100000]

Creates a fresh catalog database ($TEST_DATABASE_URL, default the local server), starts the catalog,
then times: the dry run and the import of the whole file (every entry new), the same batch sent
again (a replay), and a year later's file with 1% of the prices changed (new versions from
2024-01-01), 1% ended and 1% new codes (a dry run, then the import). Prints each in seconds and rows
per second; the whole import must take under a minute.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from deploy.run_local import environment, stop_all, wait_healthy
from shared.auth import Role, SigningKey, TokenIssuer
from shared.migrations import upgrade
from tests.support.ports import free_ports
from tests.support.postgres import create_database, drop_database

ROOT = Path(__file__).resolve().parents[1]
HEADER = "医保目录编码,名称,类型,目录类别,自付比例,限价,开始日期,结束日期\n"
KINDS = ("药品", "诊疗项目", "医用耗材")
CATEGORIES = (("甲类", ""), ("乙类", "10%"), ("乙类", "5%"), ("丙类", ""))


def entry(n: int, *, price_limit: str | None = None, valid_from: str = "2023-01-01", valid_to: str = "") -> str:
    category, ratio = CATEGORIES[n % 4]
    limit = price_limit if price_limit is not None else (f"{n % 997 + 1}.50" if n % 3 == 0 else "")
    return f"BENCH{n:08d},压测目录条目{n},{KINDS[n % 3]},{category},{ratio},{limit},{valid_from},{valid_to}\n"


def timed(label: str, rows: int, send: "callable[[], httpx.Response]") -> float:  # type: ignore[valid-type]
    started = time.perf_counter()
    response = send()
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.text[:500]
    body = response.json()
    print(f"{label:<34} {elapsed:6.1f} s {rows / elapsed:9.0f} rows/s   added {body['added']}, changed "
          f"{body['changed']}, ended {body['ended']}, unchanged {body['unchanged']}, rejected {body['rejected']}",
          flush=True)
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    admin_url = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    database = create_database(admin_url, "bench_catalog")
    processes: list[subprocess.Popen[bytes]] = []
    try:
        upgrade(ROOT / "services" / "catalog", database)
        ports = dict(zip(("registry", "catalog", "assistance", "settlement"), free_ports(4), strict=True))
        key = SigningKey.generate()
        env = environment(Path(tempfile.mkdtemp(prefix="bench-")), ports, "127.0.0.1",
                          issuer_public_keys=key.public_pem())
        env |= {"CATALOG_DATABASE_URL": database, "CATALOG_LOG_LEVEL": "WARNING"}
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "services.catalog", "serve", "--port", str(ports["catalog"])], cwd=ROOT, env=env))
        wait_healthy(f"http://127.0.0.1:{ports['catalog']}", processes[-1])
        token = TokenIssuer(key, "assistance-platform").mint(subject="bench", role=Role.OPS)
        client = httpx.Client(base_url=f"http://127.0.0.1:{ports['catalog']}", timeout=600,
                              headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"})

        def send(content: bytes, batch_id: str, dry_run: bool = False) -> httpx.Response:
            return client.post("/v1/items/imports", params={"batch_id": batch_id, "dry_run": str(dry_run).lower()},
                               content=content)

        first = (HEADER + "".join(entry(n) for n in range(args.rows))).encode("gb18030")
        print(f"{args.rows} entries, {len(first) / 1e6:.1f} MB (GB18030), catalog on PostgreSQL\n", flush=True)
        timed("whole catalog, dry run", args.rows, lambda: send(first, "BENCH-2023", dry_run=True))
        elapsed = timed("whole catalog, import", args.rows, lambda: send(first, "BENCH-2023"))
        timed("the same batch sent again", args.rows, lambda: send(first, "BENCH-2023"))

        step = 100  # 1% each
        lines = []
        for n in range(args.rows):
            if n % step == 1:
                lines.append(entry(n, price_limit="9.90", valid_from="2024-01-01"))
            elif n % step == 2:
                lines.append(entry(n, valid_to="2023-12-31"))
            else:
                lines.append(entry(n))
        lines += [entry(args.rows + n, valid_from="2024-01-01") for n in range(args.rows // step)]
        second = (HEADER + "".join(lines)).encode("gb18030")
        timed("a year later, dry run", len(lines), lambda: send(second, "BENCH-2024", dry_run=True))
        timed("a year later, import", len(lines), lambda: send(second, "BENCH-2024"))
        client.close()
        print(f"\nthe whole catalog imported in {elapsed:.1f} s ({'under' if elapsed < 60 else 'OVER'} a minute)")
        return 0
    finally:
        stop_all(processes)
        drop_database(admin_url, database)


if __name__ == "__main__":
    sys.exit(main())
