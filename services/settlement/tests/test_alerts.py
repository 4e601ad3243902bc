"""High-cost monitoring (烟政办发〔2022〕25号 四(九)) over real settlements and ledger entries, on both
backends. The lines, from the placeholder income figure of 2022 (37,560.00): 50% = 18,780.00 and
150% = 56,340.00. Each burden below is the bill less basic insurance, critical illness (special drugs
included) and the employee large-expense subsidy, worked by hand."""

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from services.settlement.alerts.rules import HighCostData, Threshold
from services.settlement.alerts.service import AlertService
from services.settlement.changes.models import ChangeEventRow
from services.settlement.settlements.repository import SettlementRepository
from services.settlement.settlements.store import settlement_store
from services.settlement.tests.support import RESULT, discharge, record
from shared.auth import Principal, Role, Scope
from shared.categories import Category
from shared.contracts.calculation import Bill
from shared.db import Database
from shared.errors import Unprocessable

pytestmark = pytest.mark.asyncio(loop_scope="session")
OPS = Principal("test-ops", Role.OPS, frozenset(s.value for s in Scope))
CIVIL_AFFAIRS = Principal("mz", Role.AGENCY, agency="civil_affairs")
RURAL = Principal("xczx", Role.AGENCY, agency="rural_revitalization")
MONITORED, MARGIN, ORDINARY, CANCELLED, LOW_INCOME = (
    "370602199001010017", "370602199001010025", "370602199001010033", "370602199001010041", "37060219900101005X")


async def _settle(database: Database, serial: str, id_number: str, discharged_on: str, total: str, basic: str,
                  critical: str, identity: Category | None, paid_in_ledger: dict[str, str] | None = None) -> None:
    result = RESULT.model_copy(update={"identity_applied": identity, "basic_insurance": D(basic),
                                       "critical_illness": D(critical)})
    deltas = {"admissions": D(1)} | {k: D(v) for k, v in (paid_in_ledger or {}).items()}
    request = discharge(serial, id_number=id_number, admitted_on=f"{discharged_on[:8]}01",
                        discharged_on=discharged_on, bill=Bill(total=D(total)))
    assert await record(settlement_store(database), serial, deltas, {}, request, result)


async def _march(database: Database) -> None:
    # 监测帮扶, two settlements in March: 20,000 − 10,000 − 0 = 10,000 and 26,000 − 14,000 − 2,400 = 9,600;
    # 19,600 in all, above 18,780.
    await _settle(database, "M1", MONITORED, "2023-03-05", "20000", "10000", "0", Category.POVERTY_MONITORING)
    await _settle(database, "M2", MONITORED, "2023-03-25", "26000", "14000", "2400", Category.POVERTY_MONITORING)
    # 低保边缘: 30,000 − 8,000 − 1,720 − 1,500 special drugs = 18,780.00, on the line: not above it.
    await _settle(database, "G1", MARGIN, "2023-03-10", "30000", "8000", "1720", Category.ALLOWANCE_MARGIN,
                  {"special_drugs_paid": "1500"})
    # No identity, an employee: 120,000 − 40,000 − 15,000 − 8,000 large expense = 57,000, above 56,340.
    await _settle(database, "O1", ORDINARY, "2023-03-15", "120000", "40000", "15000", None,
                  {"large_expense_paid": "8000"})
    # No identity: 60,000 cancelled, then 40,000 − 10,000 = 30,000 in force: above 50% but under 150%.
    await _settle(database, "C1", CANCELLED, "2023-03-02", "60000", "0", "0", None)
    async with database.engine.begin() as connection:
        assert await SettlementRepository(connection).mark_cancelled(
            f"{'C1':0>32}", datetime.now(UTC), reason="录入错误 (wrong entry)", cancelled_by="test-ops", operator=None)
    await _settle(database, "C2", CANCELLED, "2023-03-12", "40000", "10000", "0", None)
    # 低保: 100,000 − 20,000 − 10,000 = 70,000, in neither list.
    await _settle(database, "L1", LOW_INCOME, "2023-03-20", "100000", "20000", "10000", Category.MINIMUM_ALLOWANCE)


def _flags(run: object) -> list[tuple[str, str, str | None, str, str, int]]:
    return [(a.id_number, a.threshold, a.category, str(a.burden), str(a.line), a.settlements)
            for a in run.items]  # type: ignore[attr-defined]


async def test_a_month_flags_the_monitored_past_50_percent_and_the_ordinary_past_150(database: Database) -> None:
    service = AlertService(database, HighCostData.load())
    await _march(database)
    february = await service.run("2023-02", OPS)
    assert (february.flagged, february.items) == (0, [])

    march = await service.run("2023-03", OPS)
    assert (march.income_year, march.income, march.income_verified) == (2022, D("37560.00"), False)
    assert (march.monitored_line, march.ordinary_line) == (D("18780.00"), D("56340.00"))
    assert march.flagged == 2
    assert _flags(march) == [
        (MONITORED, "monitored", "poverty_monitoring", "19600.00", "18780.00", 2),
        (ORDINARY, "ordinary", None, "57000.00", "56340.00", 1),
    ]
    assert {a.month for a in march.items} == {"2023-03"}


async def test_a_run_again_writes_nothing_and_no_person_is_flagged_twice_in_a_year(database: Database) -> None:
    service = AlertService(database, HighCostData.load())
    await _march(database)
    assert (await service.run("2023-03", OPS)).flagged == 2
    again = await service.run("2023-03", OPS)
    assert (again.flagged, again.items) == (0, [])
    # One outbox event per new flag, written with it; the run again wrote none.
    async with database.autocommit.connect() as connection:
        events = (await connection.execute(select(ChangeEventRow.id_number, ChangeEventRow.after).where(
            ChangeEventRow.type == "high_cost_alert.flagged").order_by(ChangeEventRow.seq))).all()
    assert [(n, a["threshold"], a["category"], a["agencies"], a["burden"], a["line"], a["month"])
            for n, a in events] == [
        (MONITORED, "monitored", "poverty_monitoring", ["rural_revitalization"], "19600.00", "18780.00", "2023-03"),
        (ORDINARY, "ordinary", None, ["civil_affairs", "rural_revitalization"], "57000.00", "56340.00", "2023-03"),
    ]

    # April: both flagged persons settle again (still above their lines: not flagged again); the
    # allowance-margin person's 1,000 takes 18,780 to 19,780, above the line.
    await _settle(database, "M3", MONITORED, "2023-04-10", "5000", "2000", "0", Category.POVERTY_MONITORING)
    await _settle(database, "O2", ORDINARY, "2023-04-10", "5000", "2000", "0", None)
    await _settle(database, "G2", MARGIN, "2023-04-18", "1000", "0", "0", Category.ALLOWANCE_MARGIN)
    april = await service.run("2023-04", OPS)
    assert _flags(april) == [(MARGIN, "monitored", "allowance_margin", "19780.00", "18780.00", 2)]

    year = await service.listing(2023, None, None, OPS)
    assert [(a.id_number, a.month) for a in year.items] == [
        (MONITORED, "2023-03"), (ORDINARY, "2023-03"), (MARGIN, "2023-04")]
    # Each agency its own identities and the ordinary insured, ID numbers masked (no pii:read).
    assert [(a.id_number, a.category) for a in (await service.listing(2023, None, None, CIVIL_AFFAIRS)).items] == [
        ("370602********0033", None), ("370602********0025", "allowance_margin")]
    assert [(a.id_number, a.category) for a in (await service.listing(2023, None, None, RURAL)).items] == [
        ("370602********0017", "poverty_monitoring"), ("370602********0033", None)]
    assert [a.id_number for a in (await service.listing(2023, "2023-04", None, OPS)).items] == [MARGIN]
    assert [a.id_number for a in (await service.listing(2023, None, Threshold.ORDINARY, OPS)).items] == [ORDINARY]


async def test_a_year_with_no_income_figure_or_before_the_plan_is_refused(database: Database) -> None:
    service = AlertService(database, HighCostData.load())
    with pytest.raises(Unprocessable) as missing:
        await service.run("2025-01", OPS)  # no 2024 figure in the data
    assert missing.value.code == "income_figure_missing"
    with pytest.raises(Unprocessable) as before:
        await service.run("2022-12", OPS)
    assert before.value.code == "high_cost_rule_not_in_force"
    for month, code in (("2023-13", "invalid_month"), ("2999-01", "month_in_future")):
        with pytest.raises(Unprocessable) as refused:
            await service.run(month, OPS)
        assert refused.value.code == code
