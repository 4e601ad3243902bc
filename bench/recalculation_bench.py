"""A go-live batch on PostgreSQL: historic settlements recalculated through the four services.

    python -m bench.recalculation_bench [--settlements 100000] [--chunk-rows 2000]

Setup (not timed): fresh databases; a quarter as many persons as settlements registered straight
into the registry database and put on a 低保 list (approved 2023-04-10, so in force from 2023-05-01:
early discharges get none); four discharges a person in 2023, on the 15th of random months, with
random bills (basic insurance and critical illness given, as the insurance core paid them).

Timed: the CSV upload until the batch is calculated (eligibility in bulk, hospitals, one
calculations:batch a round), and the same settlements replayed in-process through the engine on
one core (each person-year in discharge order, as the batch does). Prints both rates, their ratio
and the core count.
"""

import argparse
import asyncio
import os
import random
import time
from datetime import date
from decimal import Decimal
from typing import Any

import httpx

from bench.import_bench import id_numbers, register
from bench.platform import bench_platform
from services.assistance.calculation.chain import calculate
from services.assistance.policies.book import PolicyBook
from services.assistance.settings import AssistanceSettings
from shared.auth import Role
from shared.categories import Category, InsuranceType, MedicalType
from shared.contracts.calculation import Bill, CalculationRequest, YearToDate

REGION, HOSPITAL, IN_FORCE = "370602", "060001", date(2023, 5, 1)
HEADER = "身份证号,医疗机构编码,入院日期,出院日期,医疗类别,医疗费用总额,全自费,基本医保统筹已付,大病保险已付\n"


def settlements(persons: list[str], seed: int = 2023) -> list[tuple[str, date, dict[str, str]]]:
    rng = random.Random(seed)
    rows = []
    for person in persons:
        for month in sorted(rng.sample(range(1, 13), 4)):
            total = Decimal(rng.randrange(1_000_00, 150_000_00)) / 100
            full = (total * Decimal(rng.uniform(0, 0.15))).quantize(Decimal("0.01"))
            basic = ((total - full) * Decimal(rng.uniform(0.4, 0.6))).quantize(Decimal("0.01"))
            critical = ((total - full - basic) * Decimal(rng.uniform(0, 0.4))).quantize(Decimal("0.01"))
            rows.append((person, date(2023, month, 15), {"total": str(total), "full_self_pay": str(full),
                                                         "basic_insurance_paid": str(basic),
                                                         "critical_illness_paid": str(critical)}))
    return rows


def csv_file(rows: list[tuple[str, date, dict[str, str]]]) -> bytes:
    lines = [f"{p},{HOSPITAL},{d:%Y-%m-01},{d},inpatient,{b['total']},{b['full_self_pay']},"
             f"{b['basic_insurance_paid']},{b['critical_illness_paid']}\n" for p, d, b in rows]
    return (HEADER + "".join(lines)).encode("gb18030")


def in_process(rows: list[tuple[str, date, dict[str, str]]]) -> float:
    """Settlements per second of the engine alone, replaying each person-year as the batch does."""
    book = PolicyBook.load(AssistanceSettings.model_fields["policy_dir"].default)
    policy = book.select(REGION, date(2023, 6, 1))[1]
    bills = [Bill.model_validate(b) for _, _, b in rows]
    started = time.perf_counter()
    ytd, person = YearToDate(), None
    for (id_number, discharged, _), bill in zip(rows, bills, strict=True):
        if id_number != person:
            ytd, person = YearToDate(), id_number
        request = CalculationRequest(
            region_code=REGION, hospital_region_code=REGION, insurance_type=InsuranceType.RESIDENT,
            medical_type=MedicalType.INPATIENT, hospital_level="level_3", discharged_on=discharged,
            identities=[Category.MINIMUM_ALLOWANCE] if discharged >= IN_FORCE else [], bill=bill, year_to_date=ytd)
        ytd = calculate(policy, request).year_to_date_after
    return len(rows) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--settlements", type=int, default=100_000)
    parser.add_argument("--chunk-rows", type=int, default=2000)
    args = parser.parse_args()
    persons = id_numbers(args.settlements // 4)
    rows = settlements(persons)
    env = {"SETTLEMENT_RECALCULATION_CHUNK_ROWS": str(args.chunk_rows), "SETTLEMENT_PEER_TIMEOUT_SECONDS": "60",
           "SETTLEMENT_MAX_CSV_BODY_BYTES": str(64 * 1024 * 1024)}
    with bench_platform(env) as platform:
        asyncio.run(register(platform.databases["registry"], persons))

        def headers(role: Role, **extra: Any) -> dict[str, str]:
            return {"Authorization": f"Bearer {platform.issuer.mint(subject='bench', role=role, **extra)}"}

        listed = httpx.post(f"{platform.url('registry')}/v1/imports", timeout=600,
                            headers=headers(Role.AGENCY, agency="civil_affairs"), json={
            "batch_id": "BENCH-GO-LIVE", "category": "minimum_allowance", "list_date": "2023-04-10",
            "document_number": "芝民〔2023〕4月", "rows": [{"id_number": n, "region_code": REGION} for n in persons]})
        assert listed.status_code == 200, listed.text[:500]
        content = csv_file(rows)
        ops = headers(Role.OPS)
        started = time.perf_counter()
        batch = httpx.post(f"{platform.url('settlement')}/v1/recalculations/csv", content=content, timeout=600,
                           headers=ops | {"Content-Type": "text/csv"})
        assert batch.status_code == 202, batch.text[:500]
        batch_url = f"{platform.url('settlement')}/v1/recalculations/{batch.json()['id']}"
        while (state := httpx.get(batch_url, headers=ops).json())["status"] == "calculating" or \
                state["status"] == "uploaded":
            time.sleep(0.5)
        elapsed = time.perf_counter() - started
        assert state["status"] == "calculated" and state["rows_done"] == len(rows), state
    platform_rate = len(rows) / elapsed
    engine_rate = in_process(rows)
    print(f"{len(rows)} historic settlements, {state['chunks_total']} chunks, {os.cpu_count()} cores; "
          f"assistance {state['assistance']}, re-assistance {state['re_assistance']}, "
          f"not computed {state['not_computed']}")
    print(f"batch (upload to calculated)  {platform_rate:9.0f} settlements/s   {elapsed:7.1f} s")
    print(f"engine in-process, one core   {engine_rate:9.0f} settlements/s")
    print(f"ratio batch / engine          {platform_rate / engine_rate:9.2f}")


if __name__ == "__main__":
    main()
