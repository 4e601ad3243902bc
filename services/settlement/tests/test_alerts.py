"""High-cost monitoring (烟政办发〔2022〕25号 四(九)) over real settlements and ledger entries, on both
backends. The lines, from the placeholder income figure of 2022 (37,560.00): 50% = 18,780.00 and
150% = 56,340.00. Each burden below is the bill less basic insurance, critical illness (special drugs
included) and the employee large-expense subsidy, worked by hand. Then the worker's monthly runs, at
moments chosen by an injected clock."""

import asyncio
import logging
from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from services.settlement.alerts.models import HighCostRunRow, HighCostScheduledMonthRow
from services.settlement.alerts.rules import HighCostData, Threshold
from services.settlement.alerts.service import AlertService
from services.settlement.changes.models import ChangeEventRow
from services.settlement.changes.worker import worker_steps
from services.settlement.peers import Peers
from services.settlement.settings import SettlementSettings
from services.settlement.settlements.repository import SettlementRepository
from services.settlement.settlements.store import settlement_store
from services.settlement.tests.support import RESULT, discharge, record
from shared.auth import Principal, Role, Scope
from shared.categories import Category
from shared.clock import SHANGHAI
from shared.contracts.calculation import Bill
from shared.db import Database
from shared.errors import Unprocessable
from tests.support.people import new_id_number

pytestmark = pytest.mark.asyncio(loop_scope="session")
OPS = Principal("test-ops", Role.OPS, frozenset(s.value for s in Scope))
CIVIL_AFFAIRS = Principal("mz", Role.AGENCY, agency="civil_affairs")
RURAL = Principal("xczx", Role.AGENCY, agency="rural_revitalization")
MONITORED, MARGIN, ORDINARY, CANCELLED, LOW_INCOME = (
    "370602199001010017", "370602199001010025", "370602199001010033", "370602199001010041", "37060219900101005X")


async def _settle(database: Database, serial: str, id_number: str, discharged_on: str, total: str, basic: str,
                  critical: str, identity: Category | None, paid_in_ledger: dict[str, str] | None = None,
                  account: str | None = "370602") -> None:
    """`account`: the settlement's fund account (a Yantai district by default; its policy region's)."""
    result = RESULT.model_copy(update={"identity_applied": identity, "basic_insurance": D(basic),
                                       "critical_illness": D(critical)})
    deltas = {"admissions": D(1)} | {k: D(v) for k, v in (paid_in_ledger or {}).items()}
    request = discharge(serial, id_number=id_number, admitted_on=f"{discharged_on[:8]}01",
                        discharged_on=discharged_on, bill=Bill(total=D(total)))
    assert await record(settlement_store(database), serial, deltas, {}, request, result, fund_region_code=account)


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


async def test_only_settlements_under_yantais_policy_count(database: Database) -> None:
    """The plan is Yantai's: a Tai'erzhuang person far past the 150% line is not flagged; a Yantai person
    of another district (莱山区) is."""
    taierzhuang, laishan, unknown_account = new_id_number("370405"), new_id_number("370613"), new_id_number()
    # No identity: 100,000 − 20,000 = 80,000, above 56,340, but settled under Tai'erzhuang's policy (its
    # own district account 370405).
    await _settle(database, "T1", taierzhuang, "2023-03-08", "100000", "20000", "0", None, account="370405")
    # No identity, 莱山区: 70,000 − 10,000 = 60,000, above 56,340.
    await _settle(database, "Y1", laishan, "2023-03-09", "70000", "10000", "0", None, account="370613")
    # Recorded before settlements kept their account: which policy region it was is not known, left out.
    await _settle(database, "U1", unknown_account, "2023-03-10", "90000", "10000", "0", None, account=None)
    march = await AlertService(database, HighCostData.load()).run("2023-03", OPS)
    assert _flags(march) == [(laishan, "ordinary", None, "60000.00", "56340.00", 1)]


class Moments:
    """The injected clock: the moment the worker's step believes it is, moved by the test."""

    def __init__(self, *moment: int) -> None:
        self.at(*moment)

    def at(self, *moment: int) -> None:
        self.now = datetime(*moment, tzinfo=SHANGHAI)

    def __call__(self) -> datetime:
        return self.now


async def _runs(database: Database) -> list[tuple[str, str, int]]:
    async with database.autocommit.connect() as connection:
        return [tuple(r) for r in (await connection.execute(select(  # type: ignore[misc]
            HighCostRunRow.month, HighCostRunRow.ran_by, HighCostRunRow.flagged).order_by(HighCostRunRow.id))).all()]


async def test_the_worker_runs_each_month_once_after_it_ends(database: Database) -> None:
    await _march(database)
    await _settle(database, "G2", MARGIN, "2023-04-18", "1000", "0", "0", Category.ALLOWANCE_MARGIN)  # 19,780.00
    clock = Moments(2023, 3, 31, 23, 50)  # Beijing: March is not over
    worker = AlertService(database, HighCostData.load(), clock)
    assert await worker.run_ended_months() == 1  # the first time: February, the month just ended
    assert await _runs(database) == [("2023-02", "worker", 0)]
    clock.at(2023, 4, 1, 0, 10)  # ten minutes into April in Beijing (still 31 March in UTC): March has ended
    assert await worker.run_ended_months() == 1
    assert await worker.run_ended_months() == 0  # nothing new until the next month ends
    assert await AlertService(database, HighCostData.load(), clock).run_ended_months() == 0  # another replica
    assert await _runs(database) == [("2023-02", "worker", 0), ("2023-03", "worker", 2)]
    listed = await worker.listing(2023, "2023-03", None, OPS)
    assert [(a.id_number, a.burden, a.flagged_at) for a in listed.items] == [
        (MONITORED, D("19600.00"), datetime(2023, 3, 31, 16, 10, tzinfo=UTC)),
        (ORDINARY, D("57000.00"), datetime(2023, 3, 31, 16, 10, tzinfo=UTC))]

    # The worker was down over two month-ends: April, then May, in order.
    clock.at(2023, 6, 2, 9)
    assert await worker.run_ended_months() == 2
    assert (await _runs(database))[2:] == [("2023-04", "worker", 1), ("2023-05", "worker", 0)]
    assert [a.id_number for a in (await worker.listing(2023, "2023-04", None, OPS)).items] == [MARGIN]
    async with database.autocommit.connect() as connection:
        claimed = (await connection.execute(select(HighCostScheduledMonthRow.month, HighCostRunRow.ran_by).join(
            HighCostRunRow, HighCostRunRow.id == HighCostScheduledMonthRow.run_id)
            .order_by(HighCostScheduledMonthRow.month))).all()
    assert [tuple(c) for c in claimed] == [
        ("2023-02", "worker"), ("2023-03", "worker"), ("2023-04", "worker"), ("2023-05", "worker")]


async def test_two_workers_at_a_month_end_run_it_once(database: Database) -> None:
    await _march(database)
    clock = Moments(2023, 4, 1, 0, 5)
    workers = [AlertService(database, HighCostData.load(), clock) for _ in range(3)]
    assert sorted(await asyncio.gather(*(w.run_ended_months() for w in workers))) == [0, 0, 1]
    assert await _runs(database) == [("2023-03", "worker", 2)]
    async with database.autocommit.connect() as connection:
        events = (await connection.execute(select(ChangeEventRow.id_number).where(
            ChangeEventRow.type == "high_cost_alert.flagged"))).scalars().all()
    assert sorted(events) == sorted([MONITORED, ORDINARY])


async def test_a_month_with_no_income_figure_is_logged_once_and_stops_the_months_there(
    database: Database, caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Moments(2024, 12, 1, 8)
    worker = AlertService(database, HighCostData.load(), clock)
    assert await worker.run_ended_months() == 1  # November 2024: 2023's figure
    clock.at(2025, 2, 3, 8)
    with caplog.at_level(logging.WARNING, logger="services.settlement.alerts.service"):
        assert await worker.run_ended_months() == 1  # December 2024; January 2025 has no 2024 figure
        assert await worker.run_ended_months() == 0
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == [
        "high-cost alerts of 2025-01 not run: income_figure_missing (未配置2024年全省居民人均可支配收入，无法计算2025年"
        "预警线 (no provincial per-capita disposable income for 2024: 2025's alerts cannot be computed; add it to the"
        " data))"]
    assert await _runs(database) == [("2024-11", "worker", 0), ("2024-12", "worker", 0)]


async def test_the_settlement_worker_runs_the_alerts_among_its_steps(
    settlement: tuple[Database, SettlementSettings],
) -> None:
    """On PostgreSQL, through the steps `python -m services.settlement worker` repeats."""
    database, settings = settlement
    await _march(database)
    steps = worker_steps(database, Peers.from_settings(settings), Moments(2023, 4, 2, 3))
    assert await steps["high-cost alerts"]() == 1
    assert await _runs(database) == [("2023-03", "worker", 2)]
