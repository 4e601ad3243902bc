"""Settlement's worker step against registry's real feed over HTTP, both on PostgreSQL: two workers
polling at once apply every event once; with the cursor set back every event comes again and
changes nothing."""

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.registry.changes.models import ChangeEventRow as RegistryChangeRow
from services.settlement.changes.models import FeedCursorRow, ReceivedChangeRow
from services.settlement.changes.service import receive
from services.settlement.settings import SettlementSettings
from shared.contracts.changes import ChangeEvent
from shared.db import Database
from shared.http_client import ServiceClient, peer_client, service_tokens
from shared.outbox import ChangeFeed, FeedConsumer, FeedCursors
from tests.support.feeds import served

pytestmark = pytest.mark.asyncio(loop_scope="session")
EVENTS = 10


async def _write_events(database: Database) -> None:
    async with database.engine.begin() as connection:
        await connection.execute(insert(RegistryChangeRow.__table__), [
            {"type": "identity.added", "id_number": "370602199001011239", "effective_from": None,
             "effective_until": None, "occurred_at": datetime.now(UTC)} for _ in range(EVENTS)])


async def test_two_workers_apply_each_event_once_and_a_replay_changes_nothing(
    registry: tuple[str, Database], settlement: tuple[Database, SettlementSettings],
) -> None:
    registry_url, registry_database = registry
    database, settings = settlement
    await _write_events(registry_database)
    await served(ChangeFeed(registry_database, RegistryChangeRow.__table__), EVENTS)
    outcomes: list[bool] = []

    async def recording(connection: AsyncConnection, source: str, event: ChangeEvent) -> None:
        # a handler runs only once its page's cursor move succeeded, in the transaction that commits it
        outcomes.append(await receive(connection, source, event))

    client: ServiceClient = peer_client("registry", registry_url, settings,
                                        service_tokens(settings, caller="settlement"))
    cursors = FeedCursors(database, FeedCursorRow.__table__)
    workers = [FeedConsumer("registry", client, database, cursors, recording, batch=3) for _ in range(2)]

    async def drain(worker: FeedConsumer) -> None:
        while await worker.poll() or await cursors.position("registry") < EVENTS:
            await asyncio.sleep(0)

    try:
        await asyncio.gather(*(drain(w) for w in workers))
        assert outcomes == [True] * EVENTS
        async with database.autocommit.connect() as connection:
            assert await connection.scalar(select(func.count()).select_from(ReceivedChangeRow)) == EVENTS
            assert sorted((await connection.execute(select(ReceivedChangeRow.event_id))).scalars()) == list(
                range(1, EVENTS + 1))
        async with database.engine.begin() as connection:  # the cursor set back: everything comes again
            await connection.execute(update(FeedCursorRow.__table__).values(position=0))
        replayed = 0
        while await cursors.position("registry") < EVENTS:
            replayed += await workers[0].poll()
        assert replayed == EVENTS and outcomes[EVENTS:] == [False] * EVENTS
        async with database.autocommit.connect() as connection:
            assert await connection.scalar(select(func.count()).select_from(ReceivedChangeRow)) == EVENTS
    finally:
        await client.close()
