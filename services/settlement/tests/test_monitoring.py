"""Hospital monitoring's one aggregate, on both backends: the beneficiaries' bills in force per
hospital over a period; and the migration that keeps the bill's split, backfilling what the
statements tell."""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from decimal import Decimal as D
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import column, insert, select, table

from services.settlement.monitoring.repository import MonitoringRepository
from services.settlement.monitoring.rules import HospitalCosts, Period
from services.settlement.settlements.models import SettlementRow
from services.settlement.settlements.repository import SettlementRepository
from services.settlement.settlements.store import settlement_store
from services.settlement.tests.conftest import ROOT
from services.settlement.tests.support import CAPS, DELTAS, RESULT, discharge, record
from shared.contracts.calculation import Bill
from shared.db import Database
from shared.migrations import alembic_config, upgrade
from tests.support.stores import STORES, migrated_url

pytestmark = pytest.mark.asyncio(loop_scope="session")
MARCH = Period(date(2023, 3, 1), date(2023, 3, 31))
NO_IDENTITY = RESULT.model_copy(update={"identity_applied": None})


def bill(total: str, full_self_pay: str, over_limit_self_pay: str = "0") -> Bill:
    return Bill.model_validate({"total": total, "full_self_pay": full_self_pay,
                                "over_limit_self_pay": over_limit_self_pay})


async def test_the_bills_in_force_of_beneficiaries_discharged_in_the_period_are_summed_per_hospital(
    database: Database,
) -> None:
    store = settlement_store(database)
    settled = [
        ("A1", "060001", "2023-03-20", bill("50000", "3000", "500"), RESULT),
        ("A2", "060001", "2023-03-31", bill("20000", "9000", "1000"), RESULT),
        ("A3", "060001", "2023-03-05", bill("40000", "40000"), RESULT),  # cancelled below
        ("A4", "060001", "2023-03-20", bill("30000", "30000"), NO_IDENTITY),  # settled under no identity
        ("A5", "060001", "2023-04-01", bill("10000", "10000"), RESULT),  # April
        ("A6", "060001", "2023-02-28", bill("10000", "10000"), RESULT),  # February
        ("B1", "060002", "2023-03-01", bill("50000", "1000"), RESULT),
    ]
    for serial, hospital_code, discharged_on, bill_of, result in settled:
        request = discharge(serial, hospital_code=hospital_code, admitted_on="2023-02-01",
                            discharged_on=discharged_on, bill=bill_of)
        assert await record(store, serial, {"admissions": D(1)}, CAPS, request, result)
    in_progress = discharge("C1", hospital_code="060003", bill=bill("10000", "10000"))
    assert await store.claim(f"{'C1':0>32}", "hash", in_progress, "test-his") is not None
    async with database.engine.begin() as connection:
        assert await SettlementRepository(connection).mark_cancelled(
            f"{'A3':0>32}", datetime.now(UTC), reason="录入错误 (wrong entry)", cancelled_by="test-ops", operator=None)

    async with database.autocommit.connect() as connection:
        costs, without_split = await MonitoringRepository(connection).costs_by_hospital(MARCH)
    assert sorted(costs, key=lambda c: c.hospital_code) == [
        HospitalCosts("060001", 2, D("70000.00"), D("12000.00"), D("1500.00")),
        HospitalCosts("060002", 1, D("50000.00"), D("1000.00"), D("0.00")),
    ]
    assert without_split == 0
    async with database.autocommit.connect() as connection:
        assert await MonitoringRepository(connection).costs_by_hospital(
            Period(date(2023, 4, 1), date(2023, 4, 1))) == ([HospitalCosts(
                "060001", 1, D("10000.00"), D("10000.00"), D("0.00"))], 0)
        assert await MonitoringRepository(connection).costs_by_hospital(
            Period(date(2023, 5, 1), date(2023, 5, 31))) == ([], 0)


async def test_settlements_without_a_kept_split_are_counted_apart(database: Database) -> None:
    store = settlement_store(database)
    for serial in ("A1", "A2"):
        assert await record(store, serial, DELTAS, CAPS, discharge(serial, bill=bill("50000", "3000")))
    async with database.engine.begin() as connection:  # as a settlement recorded before the split was kept
        await connection.execute(SettlementRow.__table__.update().where(SettlementRow.id == f"{'A2':0>32}")
                                 .values(bill_full_self_pay=None, bill_over_limit_self_pay=None))
    async with database.autocommit.connect() as connection:
        assert await MonitoringRepository(connection).costs_by_hospital(MARCH) == ([HospitalCosts(
            "060001", 1, D("50000.00"), D("3000.00"), D("0.00"))], 1)


def _statement(total: str, policy_range: str) -> str:
    return f'{{"total": "{total}", "policy_range": "{policy_range}"}}'


@pytest.mark.parametrize("store", STORES)
async def test_the_migration_backfills_the_split_where_the_statement_tells_it(
    store: str, migrated_database: Callable[[str], str], tmp_path: Path,
) -> None:
    url = migrated_url(store, ROOT, migrated_database, tmp_path)
    with ThreadPoolExecutor(max_workers=1) as worker:  # alembic runs its own event loop
        worker.submit(command.downgrade, alembic_config(ROOT, url), "20261130_02").result()
    database = Database(url)
    try:
        common = {"hospital_code": "060001", "request_hash": "h", "id_number": "370602199001011239", "year": 2023,
                  "medical_type": "inpatient", "admitted_on": date(2023, 3, 1), "discharged_on": date(2023, 3, 20),
                  "needs_recalculation": False, "total": D("50000.00")}
        nothing_outside, outside = _statement("50000.00", "50000.00"), _statement("50000.00", "45000.00")
        old = [
            {"id": "a" * 32, "his_serial": "S1", "status": "settled", "statement": nothing_outside},
            {"id": "b" * 32, "his_serial": "S2", "status": "cancelled", "statement": nothing_outside},
            {"id": "c" * 32, "his_serial": "S3", "status": "settled", "statement": outside},
            {"id": "d" * 32, "his_serial": "S4", "status": "in_progress", "statement": None, "total": None},
        ]
        settlements = SettlementRow.__table__.c
        before_the_split = table("settlements", *(column(c.name, c.type) for c in settlements
                                                  if not c.name.startswith("bill_")))
        async with database.engine.begin() as connection:
            await connection.execute(insert(before_the_split), [common | row for row in old])
        with ThreadPoolExecutor(max_workers=1) as worker:
            worker.submit(upgrade, ROOT, url).result()
        async with database.autocommit.connect() as connection:
            rows = (await connection.execute(select(
                settlements.his_serial, settlements.bill_full_self_pay, settlements.bill_over_limit_self_pay,
            ).order_by(settlements.his_serial))).all()
        assert [tuple(r) for r in rows] == [
            ("S1", D("0.00"), D("0.00")),  # no part of the bill outside the policy range: all known zero
            ("S2", D("0.00"), D("0.00")),
            ("S3", None, None),  # 5,000 outside it, split unknown
            ("S4", None, None),
        ]
    finally:
        await database.dispose()
