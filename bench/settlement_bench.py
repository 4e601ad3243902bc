"""Settlement throughput on PostgreSQL, against a trivial chain of the same shape.

    python -m bench.settlement_bench [--clients 32] [--seconds 20] [--rounds 4] [--persons 2000]

Starts the four services (one uvicorn process each) on fresh PostgreSQL databases
($TEST_DATABASE_URL, default the local server), registers persons with identities, then drives
N concurrent HIS clients posting discharge settlements for distinct persons, and the same load
against the yardsticks of bench.trivial_chain (the trivial chain, and the floor: the system's hops and
database statements with no work), in alternating slices (T seconds a side in all). Prints
settlements/s, p50/p99 latency and errors of each, and the ratios system / chain, floor / chain and
system / floor.
Everything runs on this machine, over loopback.
"""

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiohttp

from bench.platform import BenchPlatform, bench_platform
from bench.trivial_chain import FLOOR_SCHEMA
from deploy.run_local import SERVICES, stop_all, wait_healthy
from shared.auth import Role
from tests.support.people import new_id_number
from tests.support.ports import free_ports
from tests.support.postgres import execute

ROOT = Path(__file__).resolve().parents[1]
BILL = {"total": "50000", "full_self_pay": "3000", "pre_self_pay": "2000", "basic_insurance_paid": "26520"}


async def register_persons(registry: str, token: str, count: int) -> list[str]:
    headers = {"Authorization": f"Bearer {token}"}
    ids = list(dict.fromkeys(new_id_number() for _ in range(count)))
    semaphore = asyncio.Semaphore(16)
    async with aiohttp.ClientSession(headers=headers) as session:

        async def one(id_number: str) -> None:
            async with semaphore:
                person = {"id_number": id_number, "name": "压测", "insurance_type": "resident", "region_code": "370602"}
                async with session.post(f"{registry}/v1/persons", json=person) as r:
                    assert r.status == 201, await r.text()
                identity = {"category": "minimum_allowance", "document_number": "压测", "approved_on": "2022-06-01"}
                async with session.post(f"{registry}/v1/persons/{id_number}/identities", json=identity) as r:
                    assert r.status == 201, await r.text()

        await asyncio.gather(*(one(i) for i in ids))
    return ids


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """The user and system CPU a process has used so far (Linux /proc; 0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def postgres_pids() -> list[int]:
    """The PostgreSQL server's processes, when it runs on this machine."""
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "comm").read_text() == "postgres\n":
                pids.append(int(entry.name))
        except OSError:
            continue
    return pids


class Load:
    """What N clients saw over one or more slices of time: settlements, latencies, errors, and the CPU
    each process of the side (the database and the bench's own clients included) spent meanwhile."""

    def __init__(self, processes: dict[str, int]) -> None:
        self.processes = processes
        self.latencies: list[float] = []
        self.errors: dict[str, int] = {}
        self.ok = 0
        self.elapsed = 0.0
        self.cpu: dict[str, float] = dict.fromkeys([*processes, "postgres", "bench clients"], 0.0)

    def _cpu_now(self) -> dict[str, float]:
        now = {name: cpu_seconds(pid) for name, pid in self.processes.items()}
        now["postgres"] = sum(cpu_seconds(pid) for pid in postgres_pids())
        now["bench clients"] = cpu_seconds(os.getpid())
        return now

    @contextmanager
    def measure(self) -> Iterator[None]:
        before = self._cpu_now()
        yield
        for name, seconds in self._cpu_now().items():
            self.cpu[name] += seconds - before[name]

    def summary(self) -> dict[str, Any]:
        quantiles = statistics.quantiles(self.latencies, n=100) if len(self.latencies) > 1 else [0.0] * 99
        cpu_ms = {name: 1000 * seconds / self.ok if self.ok else 0.0 for name, seconds in self.cpu.items()}
        return {"per_second": self.ok / self.elapsed if self.elapsed else 0.0, "p50_ms": quantiles[49] * 1000,
                "p99_ms": quantiles[98] * 1000, "ok": self.ok, "errors": self.errors, "cpu_ms": cpu_ms}


async def drive(url: str, token: str, persons: list[str], clients: int, seconds: float, run: str,
                load: Load | None = None) -> Load:
    """N clients posting discharges for `seconds`; serials carry `run`, so no slice replays another's."""
    load = load if load is not None else Load({})
    counter = 0
    deadline = time.monotonic() + seconds
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector, headers={"Authorization": f"Bearer {token}"}) as session:

        async def client(number: int) -> None:
            nonlocal counter
            while time.monotonic() < deadline:
                counter += 1
                body = {
                    "his_serial": f"B{run}-{number}-{counter}", "hospital_code": "060001",
                    "id_number": persons[counter % len(persons)], "insurance_type": "resident",
                    "medical_type": "inpatient", "admitted_on": "2023-03-01", "discharged_on": "2023-03-20",
                    "bill": BILL,
                }
                started = time.perf_counter()
                try:
                    async with session.post(url, json=body) as response:
                        await response.read()
                        status = response.status
                except aiohttp.ClientError as exc:
                    load.errors[type(exc).__name__] = load.errors.get(type(exc).__name__, 0) + 1
                    continue
                load.latencies.append(time.perf_counter() - started)
                if status == 201:
                    load.ok += 1
                else:
                    load.errors[str(status)] = load.errors.get(str(status), 0) + 1

        started = time.monotonic()
        await asyncio.gather(*(client(i) for i in range(clients)))
        load.elapsed += time.monotonic() - started
    return load


def report(name: str, result: dict[str, Any]) -> None:
    print(f"{name:<22} {result['per_second']:8.1f}/s   p50 {result['p50_ms']:7.1f} ms   "
          f"p99 {result['p99_ms']:7.1f} ms   ok {result['ok']}   errors {result['errors'] or 0}", flush=True)
    cpu = ", ".join(f"{process} {ms:.2f}" for process, ms in result["cpu_ms"].items())
    print(f"{'':<22} CPU ms per request: {cpu}; in all {sum(result['cpu_ms'].values()):.2f}", flush=True)


def start_chain(database_url: str = "") -> tuple[list[subprocess.Popen[bytes]], str]:
    """The trivial chain, or with a database the floor (bench/trivial_chain.py)."""
    backend_port, front_port = free_ports(2)
    database = ["--database", database_url] if database_url else []
    processes: list[subprocess.Popen[bytes]] = []
    for role, port, extra in (("backend", backend_port, database),
                              ("front", front_port, ["--backend", f"http://127.0.0.1:{backend_port}", *database])):
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "bench.trivial_chain", role, "--port", str(port), *extra], cwd=ROOT,
        ))
        wait_healthy(f"http://127.0.0.1:{port}", processes[-1])
    return processes, f"http://127.0.0.1:{front_port}/v1/settlements"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20, help="per side, split over the rounds")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--persons", type=int, default=2000)
    args = parser.parse_args()
    # One HIS token for all 32 clients, far over a hospital's rate: the limits (per token, and the
    # hospital's look-ups of persons) are checked (their cost measured) but set above what the bench sends.
    limits = {"SETTLEMENT_RATE_LIMIT_HIS_PER_SECOND": "1000000", "SETTLEMENT_RATE_LIMIT_HIS_BURST": "1000000",
              "SETTLEMENT_LOOKUP_RATE_PER_SECOND": "1000000",
              "REGISTRY_RATE_LIMIT_OPS_PER_SECOND": "0"}  # registering the persons is set-up, not measured
    with bench_platform(limits, extra_databases=("floor",)) as platform:
        return _run(args, platform)


def _run(args: argparse.Namespace, platform: BenchPlatform) -> int:
    issuer, databases, ports = platform.issuer, platform.databases, platform.ports
    service_processes = platform.processes
    processes: list[subprocess.Popen[bytes]] = []
    try:
        chain_processes, chain_url = start_chain()
        processes += chain_processes
        system_url = f"http://127.0.0.1:{ports['settlement']}/v1/settlements"
        print(f"registering {args.persons} persons with identities...", flush=True)
        persons = asyncio.run(register_persons(f"http://127.0.0.1:{ports['registry']}",
                                               issuer.mint(subject="bench", role=Role.OPS), args.persons))
        # Statistics for the persons just loaded, as autovacuum would take them within a minute (and a
        # list import takes them itself): without them the first plans scan the whole table.
        asyncio.run(execute(databases["registry"], "ANALYZE"))
        rows = ", ".join(f"('{id_number}', '370602')" for id_number in persons)  # digits and X only
        asyncio.run(execute(databases["floor"], f"{FLOOR_SCHEMA}INSERT INTO floor_persons VALUES {rows}; ANALYZE"))
        floor_processes, floor_url = start_chain(databases["floor"])
        processes += floor_processes
        his = issuer.mint(subject="bench-his", role=Role.HIS, hospital_code="060001")
        service_pids = {service: p.pid for service, p in zip(SERVICES, service_processes, strict=True)}
        sides = {
            "settlement (system)": (system_url, Load(service_pids)),
            "trivial chain": (chain_url, Load({"front": chain_processes[1].pid, "backend": chain_processes[0].pid})),
            "floor": (floor_url, Load({"front": floor_processes[1].pid, "backend": floor_processes[0].pid})),
        }
        for name, (url, _) in sides.items():
            asyncio.run(drive(url, his, persons, args.clients, 3, f"warm-{name[0]}"))
        # Both sides run in alternating slices (ABBA), so the drift of a shared machine weighs on both alike.
        slice_seconds = args.seconds / args.rounds
        print(f"{args.clients} clients, {args.rounds} rounds of {slice_seconds:.1f} s a side\n", flush=True)
        for number in range(args.rounds):
            order = list(sides.items()) if number % 2 == 0 else list(sides.items())[::-1]
            per_round = {}
            for name, (url, load) in order:
                before_ok, before_elapsed = load.ok, load.elapsed
                with load.measure():
                    asyncio.run(drive(url, his, persons, args.clients, slice_seconds, f"{number}{name[0]}", load))
                per_round[name] = (load.ok - before_ok) / (load.elapsed - before_elapsed)
            print(f"  round {number + 1}: system {per_round['settlement (system)']:.1f}/s, "
                  f"chain {per_round['trivial chain']:.1f}/s, floor {per_round['floor']:.1f}/s", flush=True)
        print()
        results = {name: load.summary() for name, (_, load) in sides.items()}
        for name, result in results.items():
            report(name, result)
        system, chain, floor = results["settlement (system)"], results["trivial chain"], results["floor"]
        print(f"\nratio system / chain: {system['per_second'] / chain['per_second']:.2f}")
        print(f"ratio floor / chain:  {floor['per_second'] / chain['per_second']:.2f}   "
              f"(what the system's hops and statements allow, with no work)")
        print(f"ratio system / floor: {system['per_second'] / floor['per_second']:.2f}   (the target: at least 0.8)")
        return 0
    finally:
        stop_all(processes)


if __name__ == "__main__":
    sys.exit(main())
