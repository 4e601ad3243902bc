"""Cancelling settlements at the same moment, on both backends: each is reversed once, and two
cancels of one person's settlements wait for each other instead of deadlocking."""

import asyncio
from decimal import Decimal

import pytest

from services.settlement.peers import Peers
from services.settlement.settlements.repository import SettlementRepository
from services.settlement.settlements.schemas import Cancellation, CancelRequest
from services.settlement.settlements.service import SettlementFlow
from services.settlement.settlements.store import settlement_store
from services.settlement.tests.support import CAPS, DELTAS, ID_NUMBER, counts, record
from shared.auth import Principal, Role
from shared.db import Database
from shared.errors import Conflict
from shared.http_client import ServiceClient
from shared.rate_limit import RateLimiter

pytestmark = pytest.mark.asyncio(loop_scope="session")
OPS = Principal(subject="test-ops", role=Role.OPS)
WRONG_PERSON = CancelRequest(reason="患者信息录入错误 (wrong patient)")


def flow(database: Database) -> SettlementFlow:
    unused = ServiceClient("unused", "http://127.0.0.1:9")  # a cancel asks no peer
    return SettlementFlow(database, Peers(registry=unused, catalog=unused, assistance=unused),
                          lookup_limiter=RateLimiter(1, 1), deadline_seconds=30, max_attempts=40)


async def test_a_settlement_cancelled_eight_times_at_once_is_reversed_once(database: Database) -> None:
    store = settlement_store(database)
    assert await record(store, "S1", DELTAS, CAPS)
    assert await record(store, "S2", DELTAS, CAPS)
    cancelling = flow(database)
    outcomes = await asyncio.gather(*(cancelling.cancel(f"{'S1':0>32}", OPS, WRONG_PERSON) for _ in range(8)),
                                    return_exceptions=True)
    assert sum(isinstance(o, Cancellation) for o in outcomes) == 1
    async with database.autocommit.connect() as connection:
        row = await SettlementRepository(connection).by_id(f"{'S1':0>32}")
    assert row is not None
    assert (row.cancel_reason, row.cancelled_by, row.cancelled_by_operator) == (
        "患者信息录入错误 (wrong patient)", "test-ops", None)
    assert all(isinstance(o, Cancellation) or (isinstance(o, Conflict) and o.code == "settlement_not_cancellable")
               for o in outcomes), outcomes
    balances = (await store.read(ID_NUMBER, 2023)).balances
    assert (balances["admissions"], balances["assistance_base"], balances["assistance_paid"]) == (
        Decimal(1), Decimal("11018.00"), Decimal("8814.40"))  # S2's alone
    assert await counts(database) == (9, ["cancelled", "settled"])  # 3 entries each, 3 reversing S1


async def test_two_settlements_of_one_person_cancelled_at_once(database: Database) -> None:
    store = settlement_store(database)
    serials = [f"S{n}" for n in range(6)]
    small = {"admissions": Decimal(1), "assistance_base": Decimal("1000.00"), "assistance_paid": Decimal("800.00")}
    for serial in serials:
        assert await record(store, serial, small, CAPS)
    cancelling = flow(database)
    for first, second in zip(serials[::2], serials[1::2], strict=True):
        outcomes = await asyncio.gather(cancelling.cancel(f"{first:0>32}", OPS, WRONG_PERSON),
                                        cancelling.cancel(f"{second:0>32}", OPS, WRONG_PERSON), return_exceptions=True)
        assert all(isinstance(o, Cancellation) for o in outcomes), outcomes
    year = await store.read(ID_NUMBER, 2023)
    assert set(year.balances.values()) == {Decimal(0)}
    assert await counts(database) == (36, ["cancelled"] * 6)
