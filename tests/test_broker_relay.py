"""The relay from a feed to RabbitMQ, against the real broker (127.0.0.1:5672, or TEST_BROKER_URL):
events published in order, persistent, each confirmed before the cursor moves; with the broker
unreachable or the connection killed mid-stream, nothing is lost and the relay catches up after."""

import asyncio
import json
import os
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import aio_pika
import pytest
from aio_pika.abc import AbstractQueue
from sqlalchemy import insert

from services.registry.changes.models import ChangeEventRow, FeedCursorRow
from shared.broker import BROKER_DOWN, CURSOR, BrokerRelay, exchange_name
from shared.contracts.changes import ChangeEvent
from shared.db import Database
from shared.outbox import ChangeFeed, FeedCursors, keep_polling
from tests.support.feeds import served
from tests.support.ports import free_ports

pytestmark = pytest.mark.asyncio(loop_scope="session")
BROKER_URL = os.environ.get("TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672/")


@pytest.fixture(scope="module")
async def broker() -> str:
    try:
        connection = await aio_pika.connect(BROKER_URL, timeout=3)
    except Exception as exc:  # whatever way it is unreachable
        pytest.skip(f"RabbitMQ unreachable at {BROKER_URL} ({type(exc).__name__}): the relay's tests need the real "
                    "broker; start one or set TEST_BROKER_URL")
    await connection.close()
    return BROKER_URL


@dataclass
class Relayed:
    relay: BrokerRelay
    database: Database
    cursors: FeedCursors
    queue: AbstractQueue
    service: str

    written: int = 0

    async def write(self, *types: str) -> None:
        """Write the events and wait until the feed serves them (other transactions on the server may
        hold it back a moment: tests.support.feeds)."""
        async with self.database.engine.begin() as connection:
            for kind in types:
                await connection.execute(insert(ChangeEventRow.__table__).values(
                    type=kind, id_number="370602199001011239", effective_from=None, effective_until=None,
                    occurred_at=datetime.now(UTC)))
        self.written += len(types)
        await served(self.relay.feed, self.written)

    async def received(self, count: int, seconds: float = 10) -> list[aio_pika.abc.AbstractIncomingMessage]:
        messages = []
        async with self.queue.iterator() as incoming:
            async with asyncio.timeout(seconds):
                async for message in incoming:
                    await message.ack()
                    messages.append(message)
                    if len(messages) == count:
                        break
        assert await self.queue.get(fail=False, timeout=1) is None, "more messages than events"
        return messages


@pytest.fixture
async def relayed(broker: str, migrated_database: Callable[[str], str]) -> AsyncIterator[Relayed]:
    """A registry database's feed relayed to an exchange of its own, with a queue bound to every key."""
    database = Database(migrated_database("registry"))
    cursors = FeedCursors(database, FeedCursorRow.__table__)
    service = f"test-{uuid.uuid4().hex[:12]}"
    relay = BrokerRelay(service, database, ChangeFeed(database, ChangeEventRow.__table__), cursors, broker, batch=3)
    subscriber = await aio_pika.connect(broker)
    channel = await subscriber.channel()
    exchange = await channel.declare_exchange(exchange_name(service), aio_pika.ExchangeType.TOPIC, durable=True)
    queue = await channel.declare_queue(exclusive=True)
    await queue.bind(exchange, "#")
    yield Relayed(relay, database, cursors, queue, service)
    await relay.close()
    await exchange.delete()
    await subscriber.close()
    await database.dispose()


def _ids(messages: list[aio_pika.abc.AbstractIncomingMessage]) -> list[int]:
    return [ChangeEvent.model_validate(json.loads(m.body)).id for m in messages]


async def test_events_are_published_in_order_persistent_and_confirmed(relayed: Relayed) -> None:
    kinds = ["identity.added", "identity.corrected", "identity.ended", "grant.approved", "enrolment.changed"]
    await relayed.write(*kinds)
    assert await relayed.relay.relay() == 3  # a batch
    assert await relayed.cursors.position(CURSOR) == 3  # moved once the broker confirmed
    assert await relayed.relay.relay() == 2
    assert await relayed.relay.relay() == 0
    messages = await relayed.received(5)
    assert _ids(messages) == [1, 2, 3, 4, 5]
    assert [m.routing_key for m in messages] == kinds
    assert [m.message_id for m in messages] == [f"{relayed.service}:{n}" for n in range(1, 6)]
    assert {m.delivery_mode for m in messages} == {aio_pika.DeliveryMode.PERSISTENT}
    assert {m.content_type for m in messages} == {"application/json"}
    assert await relayed.cursors.position(CURSOR) == 5


async def test_with_the_broker_unreachable_nothing_is_lost_and_the_relay_catches_up(relayed: Relayed) -> None:
    [closed_port] = free_ports(1)
    relayed.relay.url = f"amqp://guest:guest@127.0.0.1:{closed_port}/"
    await relayed.write("identity.added", "identity.ended")
    running = asyncio.create_task(keep_polling("broker relay", relayed.relay.relay, 0.05, BROKER_DOWN))
    try:
        await asyncio.sleep(0.5)  # it tries, fails, waits, tries again
        await relayed.write("grant.approved", "identity.corrected")  # changes go on meanwhile
        await asyncio.sleep(0.3)
        assert not running.done()  # the loop waits the broker out
        assert await relayed.cursors.position(CURSOR) == 0
        relayed.relay.url = BROKER_URL  # the broker is back
        messages = await relayed.received(4, seconds=30)
        async with asyncio.timeout(10):  # the cursor moves once the last page is confirmed
            while await relayed.cursors.position(CURSOR) < 4:
                await asyncio.sleep(0.05)
    finally:
        running.cancel()
    assert _ids(messages) == [1, 2, 3, 4]


def _close_connection(name: str) -> None:
    """Close the broker's side of the connection named `name` (ours alone), as a broker restart would."""
    listed = subprocess.run(["rabbitmqctl", "list_connections", "pid", "client_properties", "-q", "--no-table-headers"],
                            capture_output=True, text=True, timeout=30, check=True)
    pids = [line.split("\t")[0] for line in listed.stdout.splitlines() if f'"{name}"' in line]
    assert pids, f"no broker connection named {name}: {listed.stdout}"
    for pid in pids:
        subprocess.run(["rabbitmqctl", "close_connection", pid, "test: broker gone"], capture_output=True,
                       timeout=30, check=True)


@pytest.mark.skipif(shutil.which("rabbitmqctl") is None, reason="rabbitmqctl is not installed here")
async def test_the_connection_killed_mid_stream_loses_nothing(relayed: Relayed) -> None:
    await relayed.write(*["identity.added"] * 5)
    assert await relayed.relay.relay() == 3
    await asyncio.to_thread(_close_connection, f"{relayed.service}-relay")
    await asyncio.sleep(0.5)
    assert await relayed.cursors.position(CURSOR) == 3
    assert await relayed.relay.relay() == 2  # connects again and goes on from the cursor
    assert _ids(await relayed.received(5)) == [1, 2, 3, 4, 5]
