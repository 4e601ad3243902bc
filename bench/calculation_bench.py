"""Calculations per second: in-process on one core, and through POST /v1/calculations:batch.

    python -m bench.calculation_bench [--runs 3] [--seconds 5] [--batch 1000] [--batches 20]

Each run prints three figures, each with the machine's core count and load average (the machine
may be shared: a figure is worth what the load beside it allows):
- the chain alone, on requests validated beforehand (the engine);
- the batch's whole work in this process: each item validated, computed and written as JSON, as the
  endpoint does it, without HTTP;
- the endpoint over HTTP, one batch at a time, with the server's own CPU time per calculation (from
  /proc: what the figure would be on a core of its own).

The requests are a fixed random mix (seeded) over the four policies: identities, medical types,
bills with and without special drugs, year-to-date accumulators part-way through a year.
"""

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import msgspec

from bench.platform import cpu_seconds
from deploy.run_local import stop_all, wait_healthy
from services.assistance.calculation.chain import calculate
from services.assistance.calculation.router import batch_json
from services.assistance.policies.book import PolicyBook
from services.assistance.settings import AssistanceSettings
from shared.auth import Role, SigningKey, TokenIssuer
from shared.contracts.calculation import CalculationRequest
from tests.support.ports import free_ports

ROOT = Path(__file__).resolve().parents[1]
WHERE_AND_WHEN = {
    "yantai-2023": ("370602", "2023-06-01"), "yantai-2018": ("370602", "2020-06-01"),
    "yantai-2018-development-zone": ("370672", "2020-06-01"), "taierzhuang-2017": ("370405", "2019-06-01"),
}


def request_mix(book: PolicyBook, count: int, seed: int = 2023) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    mix = []
    for _ in range(count):
        policy_id = rng.choice(sorted(WHERE_AND_WHEN))
        policy = book.parameters[policy_id]
        region, on = WHERE_AND_WHEN[policy_id]
        total = Decimal(rng.randrange(100_00, 300_000_00)) / 100
        full_self_pay = (total * Decimal(rng.uniform(0, 0.2))).quantize(Decimal("0.01"))
        general = total - full_self_pay
        drugs = Decimal(0)
        if policy.critical_illness is not None and policy.critical_illness.special_drugs and rng.random() < 0.2:
            drugs = (general * Decimal("0.3")).quantize(Decimal("0.01"))
        basic = ((general - drugs) * Decimal(rng.uniform(0.4, 0.7))).quantize(Decimal("0.01"))
        bill: dict[str, Any] = {"total": str(total), "full_self_pay": str(full_self_pay),
                                "special_drugs": str(drugs), "basic_insurance_paid": str(basic)}
        if policy.critical_illness is None:
            bill["critical_illness_paid"] = "0"
        spent = Decimal(rng.randrange(0, 20_000)) / 1  # whole yuan: the halves below stay in fen
        mix.append({
            "region_code": region, "hospital_region_code": region, "discharged_on": on, "insurance_type": "resident",
            "medical_type": rng.choice(sorted(policy.medical_types)),
            "disease_class": rng.choice(["ordinary", "major"]),
            "identities": rng.sample(sorted(policy.assistance), k=rng.choice([1, 1, 2])),
            "bill": bill,
            "year_to_date": {"admissions": 1, "critical_illness_burden": str(spent * 2),
                             "assistance_base": str(spent), "assistance_paid": str(spent / 2),
                             "re_assistance_base": str(spent / 2)},
        })
    return mix


def machine() -> str:
    return f"[{os.cpu_count()} cores, load {' '.join(f'{x:.2f}' for x in os.getloadavg())}]"


def chain_alone(book: PolicyBook, mix: list[dict[str, Any]], seconds: float) -> float:
    requests = [CalculationRequest.model_validate(item) for item in mix]
    policies = [book.select(r.region_code, r.discharged_on)[1] for r in requests]
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for policy, request in zip(policies, requests, strict=True):
            calculate(policy, request, allow_unverified=True)
        done += len(requests)
    return done / (time.perf_counter() - started)


def batch_work(book: PolicyBook, mix: list[dict[str, Any]], seconds: float) -> float:
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        batch_json(book, mix, chained=False, allow_unverified=True)
        done += len(mix)
    return done / (time.perf_counter() - started)


class Counts(msgspec.Struct):
    """What the client checks of each answer: turning all 3 KB of each result into Python objects
    would take the client 16 µs per calculation, a sixth of the server's time, one batch at a time."""

    computed: int
    failed: int


async def through_batches(
    url: str, token: str, body: bytes, count: int, batches: int,
) -> tuple[float, list[float]]:
    latencies: list[float] = []
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    async with aiohttp.ClientSession(headers=headers) as session:
        started = time.perf_counter()
        for _ in range(batches):
            sent = time.perf_counter()
            async with session.post(f"{url}/v1/calculations:batch", data=body) as response:
                answer = await response.read()
                assert response.status == 200, answer[:1000]
                counts = msgspec.json.decode(answer, type=Counts)  # reads the whole answer, keeps two fields
                assert (counts.computed, counts.failed) == (count, 0), \
                    [i["problem"] for i in msgspec.json.decode(answer)["items"] if i["problem"]][:3]
            latencies.append(time.perf_counter() - sent)
        elapsed = time.perf_counter() - started
    return batches * count / elapsed, latencies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5, help="of each in-process figure")
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--batches", type=int, default=20, help="of each HTTP figure")
    args = parser.parse_args()
    book = PolicyBook.load(AssistanceSettings.model_fields["policy_dir"].default)
    mix = request_mix(book, args.batch)
    body = json.dumps({"items": mix}).encode()  # once: the client's encoding is not the server's work

    port = free_ports(1)[0]
    key = SigningKey.generate()
    env = {**os.environ, "ASSISTANCE_JWT_PUBLIC_KEYS": key.public_pem(), "ASSISTANCE_LOG_LEVEL": "WARNING",
           "ASSISTANCE_ALLOW_UNVERIFIED": "true"}  # the mix includes placeholder figures
    process = subprocess.Popen([sys.executable, "-m", "services.assistance", "serve", "--port", str(port)],
                               cwd=ROOT, env=env)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, process)
        token = TokenIssuer(key, "assistance-platform").mint(subject="bench", role=Role.SERVICE)
        asyncio.run(through_batches(url, token, body, len(mix), 2))  # warm-up
        for run in range(1, args.runs + 1):
            print(f"run {run}  the chain alone, in-process      {chain_alone(book, mix, args.seconds):7.0f}"
                  f" calculations/s  {machine()}", flush=True)
            print(f"run {run}  the batch's work, in-process     {batch_work(book, mix, args.seconds):7.0f}"
                  f" calculations/s  {machine()}", flush=True)
            cpu_before = cpu_seconds(process.pid)
            rate, latencies = asyncio.run(through_batches(url, token, body, len(mix), args.batches))
            cpu_after = cpu_seconds(process.pid)
            per_item = (cpu_after - cpu_before) / (args.batches * len(mix))
            server = f"; server CPU {per_item * 1e6:.0f} µs each = {1 / per_item:.0f}/s of one core"
            print(f"run {run}  POST /v1/calculations:batch  {rate:7.0f} calculations/s  {machine()}"
                  f"  (median {statistics.median(latencies) * 1000:.0f} ms per batch{server})", flush=True)
    finally:
        stop_all([process])
    print(f"(one request mix of {len(mix)} per batch, {date.today().isoformat()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
