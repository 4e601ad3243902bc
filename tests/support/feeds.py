"""Reading a change feed in tests: on PostgreSQL an event is served once no write transaction that
began before it is still running, anywhere on the server (shared.outbox); other tests' transactions
on the shared server may hold it back for a moment."""

import asyncio
import time

from shared.contracts.changes import ChangeEvent
from shared.outbox import ChangeFeed


async def served(feed: ChangeFeed, count: int, *, after: int = 0, seconds: float = 30) -> list[ChangeEvent]:
    """The first `count` events after `after`, once the feed serves that many (and no more after them
    at that moment)."""
    deadline = time.monotonic() + seconds
    while True:
        events = await feed.page(after, count + 1)
        if len(events) >= count or time.monotonic() > deadline:
            assert len(events) == count, [(e.id, e.type) for e in events]
            return events
        await asyncio.sleep(0.05)
