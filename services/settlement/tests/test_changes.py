"""Settlement's change events, on both stores: a settled settlement posts its event in its own write
(none when the write is refused), a cancel in its unit of work; a peer's event is recorded once
however often it comes."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from services.settlement.changes.models import ChangeEventRow, ReceivedChangeRow
from services.settlement.changes.service import receive
from services.settlement.settlements.store import settlement_store
from services.settlement.tests.support import BILL, CAPS, DELTAS, ID_NUMBER, RESULT, discharge, record
from services.settlement.tests.test_cancel import OPS, WRONG_PERSON, flow
from shared.contracts.changes import ChangeEvent
from shared.db import Database
from shared.outbox import ChangeFeed
from tests.support.feeds import served

pytestmark = pytest.mark.asyncio(loop_scope="session")
SETTLED_AFTER = {
    "hospital_code": "060001", "medical_type": "inpatient", "discharged_on": "2023-03-20",
    # the figures of support.RESULT and BILL, as strings: exact
    "total": "50000.00", "basic_insurance": "26520.00", "critical_illness": "10665.60", "assistance": "8814.40",
    "re_assistance": "0.00", "personal_share": "4000.00",
}


def feed(database: Database) -> ChangeFeed:
    return ChangeFeed(database, ChangeEventRow.__table__)


async def test_a_settlement_posts_its_settled_event_in_its_own_write(database: Database) -> None:
    store = settlement_store(database)
    assert await record(store, "S1", DELTAS, CAPS)
    stale = await store.claim("c" * 32, "hash", discharge("S2"), "test-his")
    assert stale is not None and await record(store, "S3", DELTAS, CAPS)
    assert not await store.record(stale, "c" * 32, DELTAS, CAPS, datetime.now(UTC), "{}", BILL, RESULT)

    events = await served(feed(database), 2)
    assert [(e.id, e.type, e.id_number, e.effective_from, e.effective_until) for e in events] == [
        (1, "settlement.settled", ID_NUMBER, date(2023, 3, 20), date(2023, 3, 21)),
        (2, "settlement.settled", ID_NUMBER, date(2023, 3, 20), date(2023, 3, 21)),
    ]  # none for the refused write
    assert [e.after for e in events] == [{"settlement_id": f"{'S1':0>32}", **SETTLED_AFTER},
                                         {"settlement_id": f"{'S3':0>32}", **SETTLED_AFTER}]
    assert events[0].before is None


async def test_a_cancel_posts_its_event_with_the_rest_of_the_year_as_its_window(database: Database) -> None:
    assert await record(settlement_store(database), "S1", DELTAS, CAPS)
    await flow(database).cancel(f"{'S1':0>32}", OPS, WRONG_PERSON)
    settled, cancelled = await served(feed(database), 2)
    assert (cancelled.id, cancelled.type, cancelled.effective_from, cancelled.effective_until) == (
        2, "settlement.cancelled", date(2023, 3, 20), date(2024, 1, 1))
    assert cancelled.after == {"settlement_id": f"{'S1':0>32}", "hospital_code": "060001",
                               "medical_type": "inpatient", "discharged_on": "2023-03-20", "status": "cancelled",
                               "reason": WRONG_PERSON.reason}
    assert cancelled.before == {"status": "settled", **{k: v for k, v in SETTLED_AFTER.items()
                                                        if k not in ("hospital_code", "medical_type", "discharged_on")}}


async def test_the_feed_pages_from_its_cursor(database: Database) -> None:
    store = settlement_store(database)
    for serial in ("S1", "S2", "S3"):
        assert await record(store, serial, {"admissions": DELTAS["admissions"]}, CAPS)
    await served(feed(database), 3)
    assert [e.id for e in await feed(database).page(0, 2)] == [1, 2]
    assert [e.id for e in await feed(database).page(2, 2)] == [3]
    assert await feed(database).page(3, 2) == []


async def test_an_event_delivered_twice_is_received_once(database: Database) -> None:
    event = ChangeEvent(id=7, type="identity.ended", id_number=ID_NUMBER, effective_from=date(2023, 4, 1),
                        effective_until=None, before=None, after={"category": "minimum_allowance"},
                        occurred_at=datetime(2023, 3, 20, 2, 0, tzinfo=UTC))
    outcomes = []
    for _ in range(2):
        async with database.engine.begin() as connection:
            outcomes.append(await receive(connection, "registry", event))
    assert outcomes == [True, False]
    async with database.autocommit.connect() as connection:
        rows = (await connection.execute(select(ReceivedChangeRow.__table__))).all()
        assert await connection.scalar(select(func.count()).select_from(ReceivedChangeRow)) == 1
    assert [(r.source, r.event_id, r.type, r.id_number, r.effective_from, r.after) for r in rows] == [
        ("registry", 7, "identity.ended", ID_NUMBER, date(2023, 4, 1), {"category": "minimum_allowance"})]
