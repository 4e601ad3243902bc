"""Settlement throughput on PostgreSQL, against a trivial chain of the same shape; or, with
`--open-loop`, its latency under a fixed arrival rate.

    python -m bench.settlement_bench [--clients 32] [--seconds 20] [--rounds 4] [--persons 2000]
    python -m bench.settlement_bench --open-loop [--rate 100] [--duration 20] [--arrivals poisson|uniform]
                                     [--persons 1000]

Starts the four services (one uvicorn process each) on fresh PostgreSQL databases
($TEST_DATABASE_URL, default the local server), registers persons with identities, then drives
N concurrent HIS clients posting discharge settlements for distinct persons, and the same load
against the yardsticks of bench.trivial_chain (the trivial chain, and the floor: the system's hops and
database statements with no work), in alternating slices (T seconds a side in all). Prints
settlements/s, p50/p99 latency and errors of each, and the ratios system / chain, floor / chain and
system / floor.

Open loop: requests arrive as hospitals' windows send them, at `--rate` a second on average for
`--duration` seconds: Poisson arrivals by default (independent windows: exponential gaps, from a
fixed seed), or evenly spaced. Every send time is fixed before the first send, so a slow answer never
delays the next request; each latency runs from the scheduled send, so the bench's own lateness and
any queueing count. The settlement path is not warmed first: the first requests are the cold start.
Prints p50, p90, p99 and max, errors, the first requests' latencies, and where the time of the median
request and of the slowest 1% went, from the settlement's Server-Timing header: the queue (latency
less the server's total: the hop, the HTTP server, the token and body checks, and the bench's own
lateness, shown apart), each peer's calls, the database and the service's own work.

Everything runs on this machine, over loopback; every figure is printed with the machine's core count.
"""

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bench.platform import BenchPlatform, bench_platform, cpu_seconds
from bench.trivial_chain import FLOOR_SCHEMA
from deploy.run_local import SERVICES, stop_all, wait_healthy
from shared.auth import Role
from tests.support.people import new_id_number
from tests.support.ports import free_ports
from tests.support.postgres import execute

ROOT = Path(__file__).resolve().parents[1]
BILL = {"total": "50000", "full_self_pay": "3000", "pre_self_pay": "2000", "basic_insurance_paid": "26520"}
CORES = f"[{os.cpu_count()} cores]"


def discharge(serial: str, id_number: str) -> dict[str, Any]:
    return {
        "his_serial": serial, "hospital_code": "060001", "id_number": id_number, "insurance_type": "resident",
        "medical_type": "inpatient", "admitted_on": "2023-03-01", "discharged_on": "2023-03-20", "bill": BILL,
    }


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


def percentiles(values: Sequence[float]) -> list[float]:
    """The 99 cut points p1..p99 (statistics.quantiles, its exclusive method); zeros for fewer than two values."""
    return statistics.quantiles(values, n=100) if len(values) > 1 else [0.0] * 99


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

    def cpu_ms(self) -> dict[str, float]:
        """Each process's CPU per request answered 201."""
        return {name: 1000 * seconds / self.ok if self.ok else 0.0 for name, seconds in self.cpu.items()}

    def summary(self) -> dict[str, Any]:
        quantiles = percentiles(self.latencies)
        cpu_ms = self.cpu_ms()
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
                body = discharge(f"B{run}-{number}-{counter}", persons[counter % len(persons)])
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
          f"p99 {result['p99_ms']:7.1f} ms   ok {result['ok']}   errors {result['errors'] or 0}   {CORES}", flush=True)
    print(f"{'':<22} {cpu_line(result['cpu_ms'])}", flush=True)


def cpu_line(cpu_ms: dict[str, float]) -> str:
    cpu = ", ".join(f"{process} {ms:.2f}" for process, ms in cpu_ms.items())
    return f"CPU ms per request: {cpu}; in all {sum(cpu_ms.values()):.2f}   {CORES}"


# Open loop

PHASES = ("registry", "catalog", "assistance", "db", "app")  # the settlement's Server-Timing, less its total


@dataclass(frozen=True, slots=True)
class Sample:
    """One open-loop request, in milliseconds: when it was due (after the run's start), how late the bench
    sent it, its latency from when it was due, its status (or the client error's name) and the server's
    Server-Timing."""

    number: int
    due: float
    late: float
    latency: float
    status: str
    phases: dict[str, float]

    @property
    def queue(self) -> float:
        """The latency outside the server's total: the bench's lateness, the hop both ways, the HTTP
        server (accept, parsing) and what runs before the handler (the token, the body's validation)."""
        return self.latency - self.phases["total"]


def arrivals(rate: float, duration: float, spacing: str, seed: int) -> list[float]:
    """The send times (seconds after the start), all fixed before the first send: Poisson arrivals
    (exponential gaps, from `seed`) or evenly spaced."""
    if spacing == "uniform":
        return [number / rate for number in range(round(rate * duration))]
    draw = random.Random(seed)
    times: list[float] = []
    at = draw.expovariate(rate)
    while at < duration:
        times.append(at)
        at += draw.expovariate(rate)
    return times


def server_phases(header: str) -> dict[str, float]:
    """A Server-Timing header (`name;dur=ms, ...`; other parameters ignored) as {name: ms}."""
    phases = {}
    for metric in header.split(","):
        name, *parameters = metric.strip().split(";")
        for parameter in parameters:
            key, _, value = parameter.partition("=")
            if key.strip() == "dur":
                phases[name] = float(value)
    return phases


def latency_summary(samples: Sequence[Sample]) -> dict[str, float]:
    latencies = [sample.latency for sample in samples]
    cuts = percentiles(latencies)
    return {"p50": cuts[49], "p90": cuts[89], "p99": cuts[98], "max": max(latencies, default=0.0)}


def slowest(samples: Sequence[Sample], percent: int = 1) -> list[Sample]:
    """The slowest `percent` of the samples (rounded up: at least one of any), slowest first."""
    return sorted(samples, key=lambda sample: sample.latency, reverse=True)[:-(-len(samples) * percent // 100)]


def median(samples: Sequence[Sample]) -> Sample:
    """The request of median latency (the lower of the two middle ones for an even count)."""
    return sorted(samples, key=lambda sample: sample.latency)[(len(samples) - 1) // 2]


BREAKDOWN = ("latency", "queue", "late", "total", *PHASES)


def breakdown(sample: Sample) -> list[float]:
    """Where a settled request's time went, in the order of BREAKDOWN."""
    return [sample.latency, sample.queue, sample.late, sample.phases["total"],
            *(sample.phases.get(phase, 0.0) for phase in PHASES)]


def mean_breakdown(samples: Sequence[Sample]) -> list[float]:
    rows = [breakdown(sample) for sample in samples]
    return [sum(column) / len(rows) for column in zip(*rows, strict=True)]


async def drive_open(url: str, token: str, persons: list[str], schedule: list[float], run: str) -> list[Sample]:
    """Sends request n at `schedule[n]` whatever the answers before it; the samples in the order sent."""
    samples: list[Sample] = []
    # No limit on connections: a request never waits for another's answer to free one.
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, headers={"Authorization": f"Bearer {token}"},
                                     timeout=aiohttp.ClientTimeout(total=60)) as session:

        async def send(number: int, due: float) -> None:
            body = discharge(f"O{run}-{number}", persons[number % len(persons)])
            sent = time.perf_counter()
            header = ""
            try:
                async with session.post(url, json=body) as response:
                    await response.read()
                    status, header = str(response.status), response.headers.get("Server-Timing", "")
            except (aiohttp.ClientError, TimeoutError) as exc:
                status = type(exc).__name__
            answered = time.perf_counter()
            samples.append(Sample(number, (due - start) * 1000, (sent - due) * 1000, (answered - due) * 1000,
                                  status, server_phases(header)))

        start = time.perf_counter()
        sending = []
        for number, offset in enumerate(schedule):
            wait = start + offset - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
            sending.append(asyncio.create_task(send(number, start + offset)))
        await asyncio.gather(*sending)
    return sorted(samples, key=lambda sample: sample.number)


def report_open_loop(samples: list[Sample], cpu_ms: dict[str, float]) -> None:
    settled = [sample for sample in samples if sample.status == "201"]
    errors: dict[str, int] = {}
    for sample in samples:
        if sample.status != "201":
            errors[sample.status] = errors.get(sample.status, 0) + 1
    summary = latency_summary(settled)
    print(f"latency from the scheduled send, {len(settled)} settled: p50 {summary['p50']:.1f} ms   "
          f"p90 {summary['p90']:.1f} ms   p99 {summary['p99']:.1f} ms   max {summary['max']:.1f} ms   {CORES}")
    print(f"errors: {errors or 0} of {len(samples)} sent   {CORES}")
    first = ", ".join(f"{sample.latency:.1f}" for sample in samples[:10])
    print(f"the first 10 requests sent (ms): {first}   {CORES}")
    over = [sample for sample in settled if sample.latency > 200]
    last = f", the last due {over[-1].due / 1000:.1f} s after the start" if over else ""
    print(f"over 200 ms: {len(over)}{last}   {CORES}")
    print(cpu_line(cpu_ms))
    if not settled:
        return
    print(f"\nwhere the time went (ms) {CORES}: queue = latency less the server's total (the hop, the HTTP "
          f"server, the token and body checks, and late: the bench's own lateness in sending); app = "
          f"settlement's own work (its total less the database and the time a peer call was in flight)")
    print(f"{'':<24}{'due s':>7}" + "".join(f"{column:>11}" for column in BREAKDOWN))

    def row(label: str, due: str, figures: list[float]) -> None:
        print(f"{label:<24}{due:>7}" + "".join(f"{figure:11.1f}" for figure in figures))

    middle, tail = median(settled), slowest(settled)
    row(f"median (#{middle.number})", f"{middle.due / 1000:.1f}", breakdown(middle))
    row(f"slowest 1% ({len(tail)}), mean", "", mean_breakdown(tail))
    for sample in tail:
        row(f"  #{sample.number}", f"{sample.due / 1000:.1f}", breakdown(sample))


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
    parser.add_argument("--persons", type=int, help="default 2,000; 1,000 in open loop")
    parser.add_argument("--open-loop", action="store_true", help="a fixed arrival rate against the system alone")
    parser.add_argument("--rate", type=float, default=100, help="open loop: requests a second")
    parser.add_argument("--duration", type=float, default=20, help="open loop: seconds")
    parser.add_argument("--arrivals", choices=["poisson", "uniform"], default="poisson", help="open loop")
    parser.add_argument("--seed", type=int, default=1, help="open loop: of the Poisson arrivals")
    args = parser.parse_args()
    if args.persons is None:
        args.persons = 1000 if args.open_loop else 2000
    # One HIS token for all 32 clients, far over a hospital's rate: the limits (per token, and the
    # hospital's look-ups of persons) are checked (their cost measured) but set above what the bench sends.
    limits = {"SETTLEMENT_RATE_LIMIT_HIS_PER_SECOND": "1000000", "SETTLEMENT_RATE_LIMIT_HIS_BURST": "1000000",
              "SETTLEMENT_LOOKUP_RATE_PER_SECOND": "1000000",
              "REGISTRY_RATE_LIMIT_OPS_PER_SECOND": "0"}  # registering the persons is set-up, not measured
    with bench_platform(limits, extra_databases=() if args.open_loop else ("floor",)) as platform:
        return _open_loop(args, platform) if args.open_loop else _run(args, platform)


def load_persons(platform: BenchPlatform, count: int) -> list[str]:
    print(f"registering {count} persons with identities...", flush=True)
    persons = asyncio.run(register_persons(platform.url("registry"),
                                           platform.issuer.mint(subject="bench", role=Role.OPS), count))
    # Statistics for the persons just loaded, as autovacuum would take them within a minute (and a
    # list import takes them itself): without them the first plans scan the whole table.
    asyncio.run(execute(platform.databases["registry"], "ANALYZE"))
    return persons


def _open_loop(args: argparse.Namespace, platform: BenchPlatform) -> int:
    persons = load_persons(platform, args.persons)
    schedule = arrivals(args.rate, args.duration, args.arrivals, args.seed)
    print(f"open loop: {args.arrivals} arrivals at {args.rate:g}/s for {args.duration:g} s ({len(schedule)} "
          f"requests), {len(persons)} persons, PostgreSQL, the settlement path not warmed   {CORES}\n", flush=True)
    his = platform.issuer.mint(subject="bench-his", role=Role.HIS, hospital_code="060001")
    load = Load({service: process.pid for service, process in zip(SERVICES, platform.processes, strict=True)})
    with load.measure():
        samples = asyncio.run(drive_open(f"{platform.url('settlement')}/v1/settlements", his, persons, schedule,
                                         "open"))
    load.ok = sum(sample.status == "201" for sample in samples)
    report_open_loop(samples, load.cpu_ms())
    return 0


def _run(args: argparse.Namespace, platform: BenchPlatform) -> int:
    issuer, databases, ports = platform.issuer, platform.databases, platform.ports
    service_processes = platform.processes
    processes: list[subprocess.Popen[bytes]] = []
    try:
        chain_processes, chain_url = start_chain()
        processes += chain_processes
        system_url = f"http://127.0.0.1:{ports['settlement']}/v1/settlements"
        persons = load_persons(platform, args.persons)
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
        print(f"{args.clients} clients, {args.rounds} rounds of {slice_seconds:.1f} s a side   {CORES}\n", flush=True)
        for number in range(args.rounds):
            order = list(sides.items()) if number % 2 == 0 else list(sides.items())[::-1]
            per_round = {}
            for name, (url, load) in order:
                before_ok, before_elapsed = load.ok, load.elapsed
                with load.measure():
                    asyncio.run(drive(url, his, persons, args.clients, slice_seconds, f"{number}{name[0]}", load))
                per_round[name] = (load.ok - before_ok) / (load.elapsed - before_elapsed)
            print(f"  round {number + 1}: system {per_round['settlement (system)']:.1f}/s, "
                  f"chain {per_round['trivial chain']:.1f}/s, floor {per_round['floor']:.1f}/s   {CORES}", flush=True)
        print()
        results = {name: load.summary() for name, (_, load) in sides.items()}
        for name, result in results.items():
            report(name, result)
        system, chain, floor = results["settlement (system)"], results["trivial chain"], results["floor"]
        print(f"\nratio system / chain: {system['per_second'] / chain['per_second']:.2f}   {CORES}")
        print(f"ratio floor / chain:  {floor['per_second'] / chain['per_second']:.2f}   "
              f"(what the system's hops and statements allow, with no work)   {CORES}")
        print(f"ratio system / floor: {system['per_second'] / floor['per_second']:.2f}   (the target: at least 0.8)"
              f"   {CORES}")
        return 0
    finally:
        stop_all(processes)


if __name__ == "__main__":
    sys.exit(main())
