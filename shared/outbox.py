"""Change events without loss: the outbox a service writes its changes to in the same transaction as
the change, the feed serving them in commit order (`GET /v1/changes`), and the cursors its readers
keep (a consumer in another service, the broker relay).

Why a feed id apart from the row's own key: on PostgreSQL a key drawn from a sequence can commit
out of order. A transaction that drew 10 may commit after one that drew 11, and a reader already
past 11 would never see 10. So a row is written without a feed id (`id` null, `xid` its
transaction), and readers number it once no transaction that could precede it is still running:
every row whose transaction id lies below the oldest running transaction's (`pg_snapshot_xmin`)
is final, and those rows are numbered in (xid, seq) order after every id given before. One
numbering runs at a time (an advisory lock), so ids are handed out in the order readers may see
them, and a reader past id n never meets an id below n later. On SQLite writers are serialized and
commit in the order they wrote: rows are numbered in seq order.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from prometheus_client import CollectorRegistry, Gauge
from sqlalchemy import JSON, BigInteger, Date, FetchedValue, Index, String, Table, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from shared.auth import Principal, Role, Scope, require
from shared.contracts.changes import ChangeEvent, ChangePage
from shared.db import BigId, Database, UtcDateTime, database_down, insert_unless_exists
from shared.errors import problem_responses
from shared.http_client import PeerUnavailable, ServiceClient
from shared.id_number import mask

log = logging.getLogger("shared.outbox")

RELAY_CURSOR = "broker"
"""The broker relay's cursor (shared.broker) in `feed_cursors`."""

NUMBER_BATCH = 5000
"""Rows numbered at most per feed read: a list import of 300,000 changes is numbered over many reads."""

XID_DEFAULT = "pg_current_xact_id()::text::bigint"
"""The writing transaction's id, the server default of `xid` on PostgreSQL (the migrations set it)."""


@dataclass(frozen=True, slots=True)
class Change:
    """One change as written to the outbox."""

    type: str
    id_number: str
    effective_from: date | None
    effective_until: date | None
    occurred_at: datetime
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None

    def values(self) -> dict[str, Any]:
        return asdict(self)


class ChangeEventColumns:
    """The outbox table's columns (`change_events`), mixed into each service's model."""

    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True, doc="the order written")
    id: Mapped[int | None] = mapped_column(BigInteger, doc="the feed id, given once final (commit order)")
    xid: Mapped[int | None] = mapped_column(BigInteger, server_default=FetchedValue(),
                                            doc="PostgreSQL: the writing transaction (null on SQLite)")
    type: Mapped[str] = mapped_column(String(48))
    id_number: Mapped[str] = mapped_column(String(18))
    effective_from: Mapped[date | None] = mapped_column(Date)
    effective_until: Mapped[date | None] = mapped_column(Date, doc="exclusive; null: open-ended")
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        return (
            Index("uq_change_events_id", "id", unique=True),
            Index("ix_change_events_unnumbered", "xid", "seq", postgresql_where=text("id IS NULL"),
                  sqlite_where=text("id IS NULL")),
        )


class FeedCursorColumns:
    """Where a reader of a feed is (`feed_cursors`): the last id it has done with."""

    name: Mapped[str] = mapped_column(String(32), primary_key=True, doc="registry (a consumed feed), broker (relay)")
    position: Mapped[int] = mapped_column(BigInteger)
    moved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


_NUMBER = {
    "postgresql": """
        UPDATE {table} SET id = :top + final.n
        FROM (SELECT seq, row_number() OVER (ORDER BY xid, seq) AS n FROM {table}
              WHERE id IS NULL AND xid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint
              ORDER BY xid, seq LIMIT :batch) AS final
        WHERE {table}.seq = final.seq""",
    "sqlite": """
        UPDATE {table} SET id = :top + final.n
        FROM (SELECT seq, row_number() OVER (ORDER BY seq) AS n FROM {table} WHERE id IS NULL
              ORDER BY seq LIMIT :batch) AS final
        WHERE {table}.seq = final.seq""",
}


class ChangeFeed:
    """A service's own feed, read from its database."""

    def __init__(self, database: Database, table: Table) -> None:
        self.database = database
        self.table = table
        self._number_sql = text(_NUMBER[database.engine.dialect.name].format(table=table.name))

    async def page(self, after: int, limit: int) -> list[ChangeEvent]:
        """The events after `after`, oldest first: every one of them final (no lower id can appear)."""
        await self.number()
        table = self.table
        async with self.database.autocommit.connect() as connection:
            rows = await connection.execute(
                select(table).where(table.c.id > after).order_by(table.c.id).limit(limit))
            return [ChangeEvent.model_validate(row, from_attributes=True) for row in rows]

    async def number(self) -> None:
        """Give feed ids to the rows that became final (see the module's doc)."""
        table = self.table
        async with self.database.autocommit.connect() as connection:
            if await connection.scalar(select(table.c.seq).where(table.c.id.is_(None)).limit(1)) is None:
                return
        async with self.database.engine.begin() as connection:
            if self.database.is_postgresql and not await connection.scalar(
                    text("SELECT pg_try_advisory_xact_lock(hashtext(:name))"), {"name": f"number {table.name}"}):
                return  # another reader is numbering: what it numbers is served on the next read
            top = await connection.scalar(select(func.coalesce(func.max(table.c.id), 0)))
            await connection.execute(self._number_sql, {"top": top, "batch": NUMBER_BATCH})


class FeedCursors:
    """The cursors a service's readers keep, each moved only from the position it was read at."""

    def __init__(self, database: Database, table: Table) -> None:
        self.database = database
        self.table = table

    async def position(self, name: str) -> int:
        read = select(self.table.c.position).where(self.table.c.name == name)
        async with self.database.autocommit.connect() as connection:
            position = await connection.scalar(read)
        if position is not None:
            return int(position)
        async with self.database.engine.begin() as connection:  # a reader's first read: from the start
            await connection.execute(insert_unless_exists(connection, self.table, ["name"]).values(
                name=name, position=0, moved_at=None))
            return int(await connection.scalar(read))

    async def advance(self, connection: AsyncConnection, name: str, read_at: int, to: int) -> bool:
        """Move the cursor from `read_at` to `to` in the caller's transaction; False if another reader
        moved it meanwhile (its work stands, this one's must not be kept)."""
        moved = await connection.execute(
            update(self.table).where(self.table.c.name == name, self.table.c.position == read_at)
            .values(position=to, moved_at=datetime.now(UTC)))
        return moved.rowcount == 1


Handler = Callable[[AsyncConnection, str, ChangeEvent], Awaitable[None]]
"""What a consumer does with an event: (the transaction, the feed's name, the event)."""


class FeedConsumer:
    """Reads a peer's feed over HTTP and hands each event to `handler` in one transaction with the
    cursor's move: a page is applied and passed together, or not at all. Delivery is at least once
    (a cursor set back delivers again): the handler must be idempotent."""

    def __init__(self, source: str, client: ServiceClient, database: Database, cursors: FeedCursors,
                 handler: Handler, *, batch: int = 500) -> None:
        self.source, self.client, self.database = source, client, database
        self.cursors, self.handler, self.batch = cursors, handler, batch

    async def poll(self) -> int:
        """Apply the next page; the number of events applied."""
        after = await self.cursors.position(self.source)
        page = ChangePage.model_validate(await self.client.get(
            "/v1/changes", params={"after": str(after), "limit": str(self.batch)}))
        if not page.changes:
            return 0
        async with self.database.engine.begin() as connection:
            if not await self.cursors.advance(connection, self.source, after, page.next_after):
                return 0
            for event in page.changes:
                await self.handler(connection, self.source, event)
        log.info("applied %d %s changes up to %d (last: %s of %s)", len(page.changes), self.source,
                 page.next_after, page.changes[-1].type, mask(page.changes[-1].id_number))
        return len(page.changes)


class FeedGauges:
    """The change feed's lags on /metrics, recomputed by a background task (`refresh`), never on a
    request:
    - `assistance_outbox_lag_events{service}`, where a broker is configured: the events written and
      not yet published to it (not yet numbered, or numbered past the relay's cursor);
    - `assistance_feed_consumer_lag_seconds{consumer}`, per peer feed this service consumes: the age
      of the oldest event written there that the consumer has not applied, 0 when it has applied
      them all. A stuck consumer's lag grows; a feed with nothing new keeps it at 0 (the time since
      the last event applied would alarm on a quiet night). One page of one event from the peer's
      feed per refresh."""

    def __init__(self, registry: CollectorRegistry, service: str, database: Database, events: Table, cursors: Table,
                 *, relayed: bool, consumed: Mapping[str, ServiceClient]) -> None:
        self.service, self.database, self.events, self.cursors = service, database, events, cursors
        self.consumed = consumed
        self.outbox = Gauge("assistance_outbox_lag_events", "Change events written and not yet published to the"
                            " broker", ["service"], registry=registry) if relayed else None
        self.consumer = Gauge("assistance_feed_consumer_lag_seconds", "Age of the oldest event of a peer's feed"
                              " the consumer has not applied (0: caught up)", ["consumer"],
                              registry=registry) if consumed else None

    async def refresh(self) -> None:
        events = self.events
        async with self.database.autocommit.connect() as connection:
            positions = dict((await connection.execute(select(self.cursors.c.name, self.cursors.c.position))).all())
            if self.outbox is not None:
                relayed_to = positions.get(RELAY_CURSOR, 0)
                self.outbox.labels(self.service).set(await connection.scalar(
                    select(func.count()).select_from(events).where(events.c.id.is_(None) | (events.c.id > relayed_to))))
        if self.consumer is None:
            return
        now = datetime.now(UTC)
        for source, client in self.consumed.items():
            page = ChangePage.model_validate(await client.get(
                "/v1/changes", params={"after": str(positions.get(source, 0)), "limit": "1"}))
            behind = (now - page.changes[0].occurred_at).total_seconds() if page.changes else 0
            self.consumer.labels(f"{self.service}/{source}").set(max(behind, 0))


TRANSIENT = (PeerUnavailable, ConnectionError, TimeoutError, OSError)


async def keep_polling(name: str, step: Callable[[], Awaitable[int]], poll_seconds: float,
                       transient: tuple[type[BaseException], ...] = TRANSIENT) -> None:
    """Run `step` until cancelled: again at once while it finds work, after `poll_seconds` when it
    finds none, and after a growing pause (up to 30 s) while what it needs is down."""
    pause = poll_seconds
    while True:
        try:
            done = await step()
            pause = poll_seconds
        except Exception as exc:
            if not isinstance(exc, transient) and not database_down(exc):
                raise
            log.warning("%s: %s; trying again in %.1f s", name, type(exc).__name__, pause)
            await asyncio.sleep(pause)
            pause = min(pause * 2, 30)
            continue
        if not done:
            await asyncio.sleep(poll_seconds)


def changes_router() -> APIRouter:
    """`GET /v1/changes`: the service's feed (app.state.change_feed), for services only."""
    router = APIRouter(prefix="/v1/changes", tags=["changes 变更事件"])
    reader = Annotated[Principal, Depends(require(Role.SERVICE, scope=Scope.PII_READ))]

    @router.get(
        "", summary="变更事件流，按提交顺序，至少一次 (the change feed: in commit order, at least once)",
        description="返回 id 大于 after 的事件（最多 limit 条）。消费者保存 next_after 作为游标；"
        "同一事件可能重复送达，消费者须幂等。 Events with an id above `after`; keep `next_after` as the cursor."
        " An event may come twice: consumers must be idempotent. Service tokens only.",
        responses=problem_responses(),
    )
    async def changes(
        request: Request, _: reader,
        after: Annotated[int, Query(
            ge=0, le=2**63 - 1, description="游标：上次的 next_after (the last one; 0: from the start)")] = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> ChangePage:
        feed: ChangeFeed = request.app.state.change_feed
        events = await feed.page(after, limit)
        return ChangePage(changes=events, next_after=events[-1].id if events else after)

    return router
