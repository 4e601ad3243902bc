"""Async SQLAlchemy 2: engines and sessions for PostgreSQL (asyncpg) and SQLite (aiosqlite).

The request-scoped session commits in exactly one place — when the route returns without error —
and rolls back otherwise; repositories and domain code never commit. On PostgreSQL the hot paths
also have bare asyncpg connections (`Database.driver_connection`). A database that cannot be
reached answers 503 with Retry-After (`install_database_problems`), never 500.
"""

import asyncio
import functools
import json
import logging
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, TypeVar

import asyncpg
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import (
    JSON,
    BigInteger,
    ColumnElement,
    DateTime,
    Dialect,
    Insert,
    Integer,
    MetaData,
    Table,
    TypeDecorator,
    any_,
    bindparam,
    event,
    insert,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from shared.errors import problem_response

R = TypeVar("R")
log = logging.getLogger("shared.db")

UNREACHABLE = (
    ConnectionError, TimeoutError, PoolTimeout, asyncpg.PostgresConnectionError,
    asyncpg.ConnectionDoesNotExistError, asyncpg.CannotConnectNowError, asyncpg.AdminShutdownError,
    asyncpg.TooManyConnectionsError,
)
"""The database is down, restarting, full, unreachable or too slow to hand out a connection: the
caller should retry, not report a bug."""
_UNREACHABLE_STATES = ("08", "57P01", "57P02", "57P03", "53300")  # connection, shutdown, too many connections


def database_down(exc: BaseException) -> bool:
    """Whether `exc` says the database cannot be reached, also when SQLAlchemy wrapped it."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    seen: BaseException | None = exc
    for _ in range(4):  # SQLAlchemy's error → its adapter's error → asyncpg's or the socket's
        if seen is None:
            return False
        if isinstance(seen, UNREACHABLE) or str(getattr(seen, "sqlstate", "") or "").startswith(_UNREACHABLE_STATES):
            return True
        seen = getattr(seen, "orig", None) or seen.__cause__
    return False


def install_database_problems(app: FastAPI) -> None:
    """An unreachable database is a 503 with Retry-After, like an unreachable peer, not a 500."""

    async def unavailable(request: Request, exc: Exception) -> JSONResponse:
        if not database_down(exc):
            raise exc  # any other database error is a bug: the 500 with its log line
        log.warning("database unavailable: %s", type(exc).__name__)
        return problem_response(
            request, status=503, code="database_unavailable", title="Service unavailable",
            detail="数据库暂不可用，请稍后重试 (the database is unavailable; retry shortly)",
            headers={"Retry-After": "5"},
        )

    for exception in (*UNREACHABLE, DBAPIError):
        app.add_exception_handler(exception, unavailable)


NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


BigId = BigInteger().with_variant(Integer, "sqlite")
"""Surrogate keys: BIGINT on PostgreSQL; INTEGER on SQLite, the only type it autoincrements."""


class UtcDateTime(TypeDecorator[datetime]):
    """A moment (recorded_at, created_at, settled_at…): every timestamp column of every service.
    Stored in UTC and always read back aware, in UTC, on both stores. SQLite has no time zones: it
    stores a datetime's wall-clock time without its offset and hands back naive datetimes, which
    cannot be compared with an aware one and would leave a response without its offset."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("a moment needs its time zone (naive datetime)")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is not None:  # PostgreSQL's timestamptz comes back aware
            return value
        return value.replace(tzinfo=UTC)


def one_of(dialect_name: str, column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """column IN values. On PostgreSQL one array parameter (`= ANY($1)`): the statement stays the
    same whatever the number of values (no re-rendering per execution, one cached prepared
    statement) and the planner never tests thousands of placeholders one by one."""
    if dialect_name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=_array_of(column)))
    return column.in_(values)


@functools.cache
def _array_of(column: Any) -> postgresql.ARRAY:
    return postgresql.ARRAY(column.type)


T = TypeVar("T")


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


async def insert_many(session: AsyncSession, table: Table, values: list[dict[str, Any]]) -> None:
    """Many rows in the session's transaction (imports). On PostgreSQL a COPY on the transaction's
    own connection (200,000 rows in about a second); elsewhere batched INSERTs."""
    if not values:
        return
    if session.bind.dialect.name == "postgresql":
        columns = list(values[0])
        as_json = {c for c in columns if isinstance(table.c[c].type, JSON)}
        records = [tuple(json.dumps(v[c], ensure_ascii=False) if c in as_json and v[c] is not None else v[c]
                         for c in columns) for v in values]
        connection = await (await session.connection()).get_raw_connection()
        await connection.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
            table.name, columns=columns, records=records)
        return
    for part in chunks(values, 500):  # SQLite: a few hundred placeholders per statement
        await session.execute(insert(table), list(part))


def dialect_insert(connection: AsyncConnection, table: Table) -> Any:
    """The dialect's INSERT, which has ON CONFLICT (`on_conflict_do_nothing`, `on_conflict_do_update`)
    on both PostgreSQL and SQLite."""
    dialects = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
    return dialects[connection.dialect.name](table)


def insert_unless_exists(connection: AsyncConnection, table: Table, key: Sequence[str]) -> Insert:
    """INSERT … ON CONFLICT (key) DO NOTHING, on both dialects: a rowcount of 0 means the row was
    already there, without the error that would abort a PostgreSQL transaction."""
    return dialect_insert(connection, table).on_conflict_do_nothing(index_elements=list(key))


def make_metadata() -> MetaData:
    """Each service has its own metadata (its own tables), all with stable constraint names."""
    return MetaData(naming_convention=NAMING_CONVENTION)


def async_url(url: str) -> str:
    """postgresql://… → postgresql+asyncpg://…, sqlite:///… → sqlite+aiosqlite:///…"""
    parsed = make_url(url)
    driver = {"postgresql": "postgresql+asyncpg", "postgres": "postgresql+asyncpg",
              "sqlite": "sqlite+aiosqlite"}.get(parsed.drivername, parsed.drivername)
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


def driver_dsn(url: str) -> str:
    """postgresql+asyncpg://… or postgresql://… → the postgresql://… asyncpg itself takes."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    if is_sqlite(url):
        engine = create_async_engine(async_url(url), connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            # The driver's own BEGIN comes only before the first write: a SAVEPOINT ahead of it
            # opens a transaction of its own that its RELEASE commits, whatever happens after. So
            # transactions are begun here (`_sqlite_begin`).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _sqlite_begin(connection):  # type: ignore[no-untyped-def]
            # IMMEDIATE: the write lock up front (waiting up to the timeout for it). A transaction
            # that read first could not take it later once another had written meanwhile ("database
            # is locked" at once, with no wait). The embedded store serializes writers anyway.
            if connection.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
                connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    # No pre-ping: it costs a round trip on every checkout; stale connections are recycled instead.
    # No overflow: an overflow connection is closed when it is returned, so under load every
    # request would open a connection (a server process, SSL negotiation, type introspection and
    # its statements prepared again). Requests beyond the pool wait for a connection instead.
    return create_async_engine(
        async_url(url), pool_size=pool_size, max_overflow=0, pool_timeout=10, pool_recycle=1800,
    )


async def _numeric_as_text(connection: asyncpg.Connection) -> None:
    """Amounts travel as text: asyncpg's binary numeric codec costs about 2.7 µs a value each way,
    `str(Decimal)` and `Decimal(str)` under 1 µs (a settlement sends and reads some sixty)."""
    await connection.set_type_codec("numeric", schema="pg_catalog", encoder=str, decoder=Decimal, format="text")


async def _leave_as_is(_connection: asyncpg.Connection) -> None:
    """Driver connections only run statements that stand alone (no transaction, no session state),
    so there is nothing to reset: asyncpg's default reset is a round trip on every release."""


class Database:
    def __init__(
        self, url: str, *, pool_size: int = 10, warm_connections: int | None = 0, hot_statements: Sequence[str] = (),
    ) -> None:
        self.url = url
        self.pool_size = pool_size
        # Opened by `warm`, before the service says it is ready, each having prepared the hot paths'
        # statements once: a new server process's first statements load its catalog caches and
        # asyncpg's type codecs, tens of milliseconds the first settlements would otherwise wait.
        self.warm_connections = pool_size if warm_connections is None else min(warm_connections, pool_size)
        self.hot_statements = tuple(hot_statements)
        self.engine = create_engine(url, pool_size=pool_size)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # Statements that stand alone (a claim, a read) need no BEGIN/COMMIT round trips.
        self.autocommit = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        self.is_postgresql = self.engine.dialect.name == "postgresql"
        self._driver_pool: asyncpg.Pool | None = None
        self._driver_pool_lock = asyncio.Lock()
        # shared.tracing's, when tracing is on: told of each statement a driver connection runs.
        self.driver_query_logger: Callable[[Any], None] | None = None

    @asynccontextmanager
    async def driver_connection(self) -> AsyncIterator[asyncpg.Connection]:
        """A bare asyncpg connection from a pool of its own (PostgreSQL only), for the hot paths:
        a statement costs about 0.1 ms of CPU there against 0.3–0.6 ms through SQLAlchemy (measured
        in bench/). Each statement commits on its own; a hot path that must write several rows
        atomically does it in one statement."""
        if not self.is_postgresql:
            raise RuntimeError("driver connections are for PostgreSQL")
        pool = self._driver_pool or await self._open_driver_pool(min_size=1)
        async with pool.acquire(timeout=10) as connection:  # as SQLAlchemy's pool_timeout
            yield connection

    async def _open_driver_pool(self, *, min_size: int) -> asyncpg.Pool:
        async with self._driver_pool_lock:
            if self._driver_pool is None:
                self._driver_pool = await asyncpg.create_pool(
                    driver_dsn(self.url), min_size=min_size, max_size=self.pool_size,
                    init=_numeric_as_text if self.driver_query_logger is None else self._init_logged,
                    reset=_leave_as_is,
                    # Hot statements are key look-ups whose plan does not depend on the values.
                    # Left to itself PostgreSQL keeps re-planning them on every execution (its
                    # generic plan's estimate for `= ANY($1)` looks dearer): 1 ms of planning
                    # for a 0.1 ms eligibility read.
                    server_settings={"plan_cache_mode": "force_generic_plan"},
                )
            return self._driver_pool

    async def warm(self) -> None:
        """Open the pools before the service says it is ready, so the first requests after a start
        do not each wait for a connection to be opened (10–20 ms apiece, more under a burst). A
        database that cannot be reached yet is left to the readiness check and the first request."""
        try:
            if self.is_postgresql and self.warm_connections > 0:
                pool = await self._open_driver_pool(min_size=self.warm_connections)
                held = [await pool.acquire(timeout=10) for _ in range(self.warm_connections)]
                try:
                    for connection in held:
                        for statement in self.hot_statements:
                            await connection.prepare(statement)
                except asyncpg.SyntaxOrAccessError as exc:  # e.g. a replica started before its migration ran
                    log.warning("hot statements not prepared at start: %s", type(exc).__name__)
                finally:
                    for connection in held:
                        await pool.release(connection)
            await self.ping()
        except Exception as exc:
            if not database_down(exc):
                raise
            log.warning("database not reachable at start; connections will be opened on first use")

    async def _init_logged(self, connection: asyncpg.Connection) -> None:
        await _numeric_as_text(connection)
        assert self.driver_query_logger is not None
        connection.add_query_logger(self.driver_query_logger)

    async def renew_driver_connections(self) -> None:
        """Replace the driver connections as they are next released, e.g. after a migration changed a
        row type they had cached (asyncpg then raises OutdatedSchemaCacheError once per connection)."""
        if self._driver_pool is not None:
            await self._driver_pool.expire_connections()

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        if self._driver_pool is not None:
            await self._driver_pool.close()
            self._driver_pool = None
        await self.engine.dispose()


async def _request_session(request: Request) -> AsyncIterator[AsyncSession]:
    database: Database = request.app.state.database
    async with database.sessions() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        await session.commit()


# scope="function": the commit happens before the response is sent, so a failed commit is the
# client's error response, never a success already on the wire.
DbSession = Annotated[AsyncSession, Depends(_request_session, scope="function")]


def repository(cls: type[R]) -> Any:
    """`Persons = repository(PersonRepository)`: a route parameter type giving the repository on
    the request's session."""

    async def build(session: DbSession) -> R:  # async: a sync dependency would cost a thread hop
        return cls(session)  # type: ignore[call-arg]

    return Annotated[cls, Depends(build)]
