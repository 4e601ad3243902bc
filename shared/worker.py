"""A service's background worker (`python -m services.<name> worker`): the peers' feeds it consumes
and, where a broker is configured, the relay of its own feed. Runs until SIGTERM or SIGINT; a loop
that fails for a reason other than a peer, the database or the broker being down stops the worker
with that error (its supervisor restarts it; its cursors say where it was)."""

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from sqlalchemy import Table

from shared.broker import BROKER_DOWN, BrokerRelay
from shared.db import Database
from shared.observability import configure_logging
from shared.outbox import ChangeFeed, FeedConsumer, FeedCursors, keep_polling
from shared.settings import ChangeFeedSettings

log = logging.getLogger("shared.worker")
Consumers = Callable[[Database, FeedCursors], list[FeedConsumer]]
Steps = Callable[[Database], dict[str, Callable[[], Awaitable[int]]]]
"""Other work the worker repeats, by name: each step returns how much it did (0: wait before the next)."""


async def run_worker(
    service: str, settings: ChangeFeedSettings, *, events: Table, cursors: Table, consumers: Consumers | None = None,
    steps: Steps | None = None,
) -> None:
    configure_logging(f"{service}-worker", settings.log_level, settings.log_json)
    database = Database(settings.database_url, pool_size=2)
    feed_cursors = FeedCursors(database, cursors)
    loops: list[Coroutine[Any, Any, None]] = [
        keep_polling(f"{consumer.source} feed", consumer.poll, settings.changes_poll_seconds)
        for consumer in (consumers(database, feed_cursors) if consumers else [])
    ]
    loops += [keep_polling(name, step, settings.changes_poll_seconds)
              for name, step in (steps(database) if steps else {}).items()]
    relay = None
    if settings.broker_url is not None:
        relay = BrokerRelay(service, database, ChangeFeed(database, events), feed_cursors,
                            settings.broker_url.get_secret_value(), batch=settings.relay_batch)
        loops.append(keep_polling("broker relay", relay.relay, settings.relay_poll_seconds, BROKER_DOWN))
    try:
        if not loops:
            log.warning("%s worker: no broker configured and no feed to consume: nothing to do", service)
            return
        log.info("%s worker: %d loop(s)%s", service, len(loops), ", relaying to the broker" if relay else "")
        await _until_stopped(loops)
    finally:
        if relay is not None:
            await relay.close()
        await database.dispose()


async def _until_stopped(loops: list[Coroutine[Any, Any, None]]) -> None:
    stopping = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signum, stopping.set)
    tasks = [asyncio.create_task(loop) for loop in loops]
    stop = asyncio.create_task(stopping.wait())
    try:
        await asyncio.wait([*tasks, stop], return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in [*tasks, stop]:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task  # a loop's own error is raised here
