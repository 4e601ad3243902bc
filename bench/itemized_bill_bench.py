"""How long an itemized bill of 2,000 fee lines takes to settle, one request at a time, on PostgreSQL.

    python -m bench.itemized_bill_bench [--lines 2000] [--bills 20]

Starts the four services on fresh databases ($TEST_DATABASE_URL), imports the sample item catalog,
registers one 低保 person per bill, then settles, one after another, `--bills` summary bills and as
many itemized bills of `--lines` lines (乙 lines over their price limit, 甲 and 丙 lines, one refund
line in fifty), each of a different person. Prints the median, 90th percentile and slowest of each.
"""

import argparse
import asyncio
import statistics
import sys
import time

import httpx

from bench.platform import bench_platform
from bench.settlement_bench import register_persons
from services.catalog.items.sample import SAMPLE, SAMPLE_BATCH
from shared.auth import Role

ITEMS = (("SAMPLE-D002", "56.00"), ("SAMPLE-D001", "10.00"), ("SAMPLE-C003", "80.00"), ("SAMPLE-T002", "650.00"))


def fee_lines(count: int) -> list[dict[str, str]]:
    lines: list[dict[str, str]] = []
    while len(lines) < count:
        n = len(lines)
        if n % 50 == 49:  # a refund of one unit of the line before
            charged = lines[-1]
            lines.append({"feedetl_sn": f"F{n}", "original_sn": charged["feedetl_sn"],
                          "item_code": charged["item_code"], "quantity": "-1", "unit_price": charged["unit_price"],
                          "amount": f"-{charged['unit_price']}"})
            continue
        code, price = ITEMS[n % len(ITEMS)]
        lines.append({"feedetl_sn": f"F{n}", "item_code": code, "quantity": "2", "unit_price": price,
                      "amount": f"{2 * float(price):.2f}"})
    return lines


def body(id_number: str, serial: str, bill: dict[str, object]) -> dict[str, object]:
    return {"his_serial": serial, "hospital_code": "060001", "id_number": id_number, "insurance_type": "resident",
            "medical_type": "inpatient", "admitted_on": "2023-03-01", "discharged_on": "2023-03-20", **bill}


def report(label: str, seconds: list[float]) -> None:
    ms = sorted(s * 1000 for s in seconds)
    print(f"{label:<28} median {statistics.median(ms):6.0f} ms   p90 {ms[int(len(ms) * 0.9) - 1]:6.0f} ms   "
          f"slowest {ms[-1]:6.0f} ms   ({len(ms)} bills)", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=2000)
    parser.add_argument("--bills", type=int, default=20)
    args = parser.parse_args()
    with bench_platform({"REGISTRY_RATE_LIMIT_OPS_PER_SECOND": "0"}) as platform:
        issuer, ports = platform.issuer, platform.ports
        ops = issuer.mint(subject="bench", role=Role.OPS)
        imported = httpx.post(f"http://127.0.0.1:{ports['catalog']}/v1/items/imports",
                              params={"batch_id": SAMPLE_BATCH}, content=SAMPLE.read_bytes(),
                              headers={"Authorization": f"Bearer {ops}", "Content-Type": "text/csv"})
        assert imported.status_code == 200, imported.text
        persons = asyncio.run(register_persons(f"http://127.0.0.1:{ports['registry']}", ops, 2 * args.bills + 2))
        his = issuer.mint(subject="bench-his", role=Role.HIS, hospital_code="060001")
        client = httpx.Client(base_url=f"http://127.0.0.1:{ports['settlement']}", timeout=60,
                              headers={"Authorization": f"Bearer {his}"})
        lines = fee_lines(args.lines)
        size = len(httpx.Request("POST", "http://x", json=body(persons[0], "X", {"fee_details": {"lines": lines}}))
                   .content)
        print(f"{args.lines} lines a bill, {size / 1024:.0f} KiB of JSON, services on PostgreSQL\n", flush=True)
        sides = {
            "summary bill": {"bill": {"total": "50000", "full_self_pay": "3000", "pre_self_pay": "2000",
                                      "basic_insurance_paid": "26520"}},
            f"itemized, {args.lines} lines": {"fee_details": {"lines": lines, "basic_insurance_paid": "10000"}},
        }
        people = iter(persons)
        for name, bill in sides.items():  # one warm-up each
            assert client.post("/v1/settlements", json=body(next(people), f"WARM-{name[0]}", bill)).status_code == 201
        for name, bill in sides.items():
            seconds = []
            for n in range(args.bills):
                started = time.perf_counter()
                response = client.post("/v1/settlements", json=body(next(people), f"{name[0]}-{n}", bill))
                seconds.append(time.perf_counter() - started)
                assert response.status_code == 201, response.text[:500]
            report(name, seconds)
        client.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
