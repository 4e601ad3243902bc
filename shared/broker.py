"""The relay from a service's feed to RabbitMQ, for outside systems (other agencies), with aio-pika.

A topic exchange per service (`<service>.changes`, durable), the event type as routing key, each
message persistent and confirmed by the broker (publisher confirms) before the relay's cursor moves
past it. The relay keeps its own cursor (`feed_cursors`, name `broker`): with the broker down it
stops where it was and, once the broker is back, publishes from there. At least once: a relay that
dies between the confirm and the cursor's move publishes those events again (the message id, the
event's, lets a subscriber drop the second copy). Subscribers bind their own durable queues.
"""

import logging

import aio_pika
import aio_pika.exceptions
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractExchange

from shared.contracts.changes import ChangeEvent
from shared.db import Database
from shared.id_number import mask
from shared.outbox import RELAY_CURSOR, TRANSIENT, ChangeFeed, FeedCursors

log = logging.getLogger("shared.broker")
CURSOR = RELAY_CURSOR


def exchange_name(service: str) -> str:
    return f"{service}.changes"


def message(service: str, event: ChangeEvent) -> aio_pika.Message:
    return aio_pika.Message(
        event.model_dump_json().encode(), content_type="application/json",
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT, message_id=f"{service}:{event.id}", type=event.type,
        app_id=service, timestamp=event.occurred_at,
    )


class BrokerRelay:
    def __init__(self, service: str, database: Database, feed: ChangeFeed, cursors: FeedCursors, url: str, *,
                 batch: int = 500, timeout_seconds: float = 10) -> None:
        self.service, self.database, self.feed, self.cursors = service, database, feed, cursors
        self.url, self.batch, self.timeout = url, batch, timeout_seconds
        self._connection: AbstractConnection | None = None
        self._channel: AbstractChannel | None = None
        self._exchange: AbstractExchange | None = None

    async def relay(self) -> int:
        """Publish the next page, each message confirmed, then move the cursor; the number published."""
        after = await self.cursors.position(CURSOR)
        events = await self.feed.page(after, self.batch)
        if not events:
            return 0
        try:
            exchange = await self._open()
            for event in events:  # one at a time: the broker keeps them in this order
                await exchange.publish(message(self.service, event), routing_key=event.type, timeout=self.timeout)
        except BaseException:
            await self.close()  # the next attempt connects again
            raise
        async with self.database.engine.begin() as connection:
            await self.cursors.advance(connection, CURSOR, after, events[-1].id)
        log.info("published %d %s changes up to %d (last: %s of %s)", len(events), self.service, events[-1].id,
                 events[-1].type, mask(events[-1].id_number))
        return len(events)

    async def _open(self) -> AbstractExchange:
        if self._exchange is not None and (self._channel is None or self._channel.is_closed):
            await self.close()  # the broker closed it (restarted, forced): connect again
        if self._exchange is None:
            self._connection = await aio_pika.connect(
                self.url, timeout=self.timeout, client_properties={"connection_name": f"{self.service}-relay"})
            self._channel = await self._connection.channel(publisher_confirms=True)
            self._exchange = await self._channel.declare_exchange(
                exchange_name(self.service), aio_pika.ExchangeType.TOPIC, durable=True)
        return self._exchange

    async def close(self) -> None:
        connection, self._connection, self._channel, self._exchange = self._connection, None, None, None
        if connection is not None and not connection.is_closed:
            try:
                await connection.close()
            except Exception as exc:  # closing a connection the broker already dropped
                log.debug("closing the broker connection: %s", type(exc).__name__)


BROKER_DOWN = (*TRANSIENT, aio_pika.exceptions.AMQPError, aio_pika.exceptions.ChannelInvalidStateError)
"""What `keep_polling` waits out for the relay: the broker refusing, unreachable or not confirming."""
