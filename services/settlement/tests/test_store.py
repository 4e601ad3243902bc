"""The settlement store's contract, the same on both of its implementations: PostgreSQL (bare
asyncpg, the production path) and SQLite through SQLAlchemy (the `make run` default)."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from services.settlement.audit.models import PersonLookupRow
from services.settlement.ledger.repository import LedgerRepository
from services.settlement.settlements.repository import CLAIM_LEASE, SettlementRepository
from services.settlement.settlements.store import GrantRead, PortableStore, PostgresStore, settlement_store
from services.settlement.tests.support import BILL, CAPS, DELTAS, ID_NUMBER, RESULT, counts, discharge, record
from shared.contracts.items import ClassifiedLine
from shared.db import Database

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_each_backend_gets_its_store(database: Database) -> None:
    expected = PostgresStore if database.is_postgresql else PortableStore
    assert type(settlement_store(database)) is expected


async def test_a_serial_is_claimed_once_and_the_balances_start_at_zero(database: Database) -> None:
    store = settlement_store(database)
    first = await store.claim("a" * 32, "hash", discharge("S1"), "test-his")
    assert first is not None and first.entries == 0
    assert set(first.balances.values()) == {Decimal(0)}
    assert await store.claim("b" * 32, "hash", discharge("S1"), "test-his") is None


async def test_a_claim_is_audited_as_the_look_up_it_leads_to_and_a_taken_serial_is_not(database: Database) -> None:
    store = settlement_store(database)
    claimed_at = datetime(2023, 3, 20, 2, 0, tzinfo=UTC)
    assert await store.claim("a" * 32, "hash", discharge("S1"), "his-060001", claimed_at) is not None
    replay = await store.claim("b" * 32, "hash", discharge("S1"), "his-060001", claimed_at + timedelta(seconds=1))
    assert replay is None  # and looks nobody up
    async with database.autocommit.connect() as connection:
        rows = (await connection.execute(select(PersonLookupRow.__table__))).all()
    assert [(r.at.astimezone(UTC), r.actor, r.hospital_code, r.id_number, r.purpose, r.reference) for r in rows] == [
        (claimed_at, "his-060001", "060001", ID_NUMBER, "settlement", "S1")]


async def test_recording_moves_the_balances_and_appends_one_entry_per_moved_accumulator(database: Database) -> None:
    store = settlement_store(database)
    assert await record(store, "S1", DELTAS, CAPS)
    assert await record(store, "S2", {"admissions": Decimal(1), "assistance_paid": Decimal("0.01")}, CAPS)
    year = await store.read(ID_NUMBER, date(2023, 3, 20).year)
    assert year.entries == 2
    assert (year.balances["admissions"], year.balances["assistance_base"], year.balances["assistance_paid"]) == (
        Decimal(2), Decimal("11018.00"), Decimal("8814.41"))
    assert await counts(database) == (5, ["settled", "settled"])


async def test_stale_balances_write_nothing(database: Database) -> None:
    store = settlement_store(database)
    assert await record(store, "S1", DELTAS, CAPS)
    stale = await store.claim("c" * 32, "hash", discharge("S2"), "test-his")
    assert stale is not None
    assert await record(store, "S3", DELTAS, CAPS)  # moves the balances after `stale` was read
    assert not await store.record(stale, "c" * 32, DELTAS, CAPS, datetime.now(UTC), "{}", BILL, RESULT)
    assert (await store.read(ID_NUMBER, 2023)).balances["assistance_paid"] == Decimal("17628.80")
    assert await counts(database) == (6, ["settled", "settled", "in_progress"])


async def test_a_balance_above_its_cap_is_refused_by_the_database_and_nothing_is_written(database: Database) -> None:
    store = settlement_store(database)
    assert await record(store, "S1", DELTAS, CAPS)
    with pytest.raises(Exception, match="balance_within_cap"):
        await record(store, "S2", {"assistance_paid": Decimal("21185.61")}, CAPS)  # 30,000.01 in all
    assert (await store.read(ID_NUMBER, 2023)).entries == 1
    assert await counts(database) == (3, ["settled", "in_progress"])


async def test_recording_a_settlement_twice_is_refused_and_writes_nothing(database: Database) -> None:
    store = settlement_store(database)
    assert await record(store, "S1", DELTAS, CAPS)
    again = await store.read(ID_NUMBER, 2023)
    with pytest.raises(RuntimeError, match="not in progress"):
        await store.record(again, f"{'S1':0>32}", DELTAS, CAPS, datetime.now(UTC), "{}", BILL, RESULT)
    assert (await store.read(ID_NUMBER, 2023)).entries == 1
    assert await counts(database) == (3, ["settled"])


async def test_under_a_grant_a_stale_grant_version_writes_nothing(database: Database) -> None:
    # Two settlements of one person in different years, both computed on the grant as it stood.
    store = settlement_store(database)
    async with database.autocommit.connect() as connection:
        version = await LedgerRepository(connection).grant_version(ID_NUMBER, date(2023, 2, 1))
    assert version == 0
    grant = GrantRead(date(2023, 2, 1), version)
    first = await store.claim("a" * 32, "hash", discharge("S1"), "test-his")
    later_year = discharge("S2").model_copy(update={"admitted_on": date(2024, 1, 2), "discharged_on": date(2024, 1, 9)})
    second = await store.claim("b" * 32, "hash", later_year, "test-his")
    assert first is not None and second is not None and second.year == 2024
    now = datetime.now(UTC)
    assert await store.record(first, "a" * 32, DELTAS, CAPS, now, "{}", BILL, RESULT, grant)
    assert not await store.record(second, "b" * 32, DELTAS, CAPS, now, "{}", BILL, RESULT, grant)
    assert (await store.read(ID_NUMBER, 2024)).entries == 0
    assert await counts(database) == (3, ["settled", "in_progress"])
    async with database.autocommit.connect() as connection:
        assert await LedgerRepository(connection).grant_version(ID_NUMBER, date(2023, 2, 1)) == 1
    fresh = GrantRead(date(2023, 2, 1), 1)
    assert await store.record(second, "b" * 32, DELTAS, CAPS, now, "{}", BILL, RESULT, fresh)


async def test_a_stale_person_year_under_a_grant_writes_nothing_and_leaves_the_grant(database: Database) -> None:
    store = settlement_store(database)
    async with database.autocommit.connect() as connection:
        await LedgerRepository(connection).grant_version(ID_NUMBER, date(2023, 2, 1))
    assert await record(store, "S1", DELTAS, CAPS)
    stale = await store.claim("c" * 32, "hash", discharge("S2"), "test-his")
    assert stale is not None and stale.entries == 1
    assert await record(store, "S3", DELTAS, CAPS)  # moves the person-year after `stale` was read
    grant = GrantRead(date(2023, 2, 1), 0)
    assert not await store.record(stale, "c" * 32, DELTAS, CAPS, datetime.now(UTC), "{}", BILL, RESULT, grant)
    assert await counts(database) == (6, ["settled", "settled", "in_progress"])
    async with database.autocommit.connect() as connection:
        assert await LedgerRepository(connection).grant_version(ID_NUMBER, date(2023, 2, 1)) == 0


async def test_an_abandoned_claim_is_taken_over_after_the_lease_and_its_first_owner_writes_nothing(
    database: Database,
) -> None:
    store = settlement_store(database)
    claimed_at = datetime.now(UTC)
    assert await store.claim("a" * 32, "hash", discharge("S1"), "test-his", claimed_at) is not None
    before_lease = claimed_at + CLAIM_LEASE - timedelta(seconds=1)
    assert await store.claim("b" * 32, "hash", discharge("S1"), "test-his", before_lease) is None
    taken_over = await store.claim("c" * 32, "hash", discharge("S1"), "test-his",
                                   claimed_at + CLAIM_LEASE + timedelta(seconds=1))
    assert taken_over is not None
    with pytest.raises(RuntimeError, match="not in progress"):  # the first owner, had it only stalled
        await store.record(taken_over, "a" * 32, DELTAS, CAPS, datetime.now(UTC), "{}", BILL, RESULT)
    assert await store.record(taken_over, "c" * 32, DELTAS, CAPS, datetime.now(UTC), "{}", BILL, RESULT)
    assert await counts(database) == (3, ["settled"])
    assert await store.claim("d" * 32, "hash", discharge("S1"), "test-his", claimed_at + 2 * CLAIM_LEASE) is None


def _lines(count: int) -> list[ClassifiedLine]:
    return [ClassifiedLine(
        feedetl_sn=f"F{n}", original_sn=None if n % 2 else f"F{n - 1}", item_code="SAMPLE-D002", item_name="示例",
        category="B" if n % 3 else None, quantity=Decimal("1.5") if n % 2 else Decimal("-1.5"),
        unit_price=Decimal("56.666667"), amount=Decimal("85.00") if n % 2 else Decimal("-85.00"),
        occurred_on=date(2023, 3, 20), full_self_pay=Decimal(0), over_limit_self_pay=Decimal("10.00"),
        pre_self_pay=Decimal("7.50")) for n in range(1, count + 1)]


@pytest.mark.parametrize("under_grant", [False, True])
async def test_an_itemized_bill_keeps_its_lines_in_the_same_write(database: Database, under_grant: bool) -> None:
    store = settlement_store(database)
    grant = None
    if under_grant:
        async with database.autocommit.connect() as connection:
            grant = GrantRead(date(2023, 2, 1), await LedgerRepository(connection).grant_version(ID_NUMBER,
                                                                                                 date(2023, 2, 1)))
    lines = _lines(2000)
    for serial in ("S1", "S2"):  # the person-year's first settlement, then one that moves its row
        read = await store.claim(f"{serial:0>32}", "hash", discharge(serial), "test-his")
        assert read is not None
        if grant is not None and serial == "S2":
            grant = GrantRead(grant.window_from, grant.version + 1)
        assert await store.record(read, f"{serial:0>32}", DELTAS, CAPS, datetime.now(UTC), "{}", BILL,
                                  RESULT, grant, lines)
    async with database.autocommit.connect() as connection:
        kept = await SettlementRepository(connection).lines(f"{'S2':0>32}", limit=5000, offset=0)
    assert len(kept) == 2000
    assert [(r.line_no, r.feedetl_sn, r.original_sn, r.category, r.quantity, r.unit_price, r.amount)
            for r in kept[:2]] == [
        (1, "F1", None, "B", Decimal("1.5"), Decimal("56.666667"), Decimal("85.00")),
        (2, "F2", "F1", "B", Decimal("-1.5"), Decimal("56.666667"), Decimal("-85.00"))]
    assert (kept[2].category, kept[2].over_limit_self_pay, kept[2].pre_self_pay) == (None, Decimal("10.00"),
                                                                                      Decimal("7.50"))


async def test_stale_balances_write_no_lines(database: Database) -> None:
    store = settlement_store(database)
    stale = await store.claim("c" * 32, "hash", discharge("S2"), "test-his")
    assert stale is not None
    assert await record(store, "S3", DELTAS, CAPS)
    assert not await store.record(stale, "c" * 32, DELTAS, CAPS, datetime.now(UTC), "{}", BILL, RESULT,
                                  None, _lines(3))
    async with database.autocommit.connect() as connection:
        assert await SettlementRepository(connection).lines("c" * 32, limit=10, offset=0) == []
