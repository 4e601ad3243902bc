"""Which failures mean "the database cannot be reached" (a 503 to retry) rather than a bug (a 500)."""

import asyncpg
import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError

from shared.db import database_down


def wrapped(cause: BaseException) -> DBAPIError:
    """As SQLAlchemy's asyncpg dialect raises it: its adapter's error, caused by asyncpg's."""
    adapter_error = Exception("adapted")
    adapter_error.__cause__ = cause
    return DBAPIError("SELECT 1", None, adapter_error)


@pytest.mark.parametrize("exc", [
    ConnectionRefusedError(111, "refused"),
    TimeoutError(),
    asyncpg.CannotConnectNowError("the database system is starting up"),
    asyncpg.TooManyConnectionsError("too many clients"),
    wrapped(asyncpg.CannotConnectNowError("the database system is starting up")),
    wrapped(asyncpg.AdminShutdownError("terminating connection due to administrator command")),
    wrapped(ConnectionResetError()),
    DBAPIError("SELECT 1", None, Exception("closed"), connection_invalidated=True),
])
def test_unreachable(exc: BaseException) -> None:
    assert database_down(exc)


@pytest.mark.parametrize("exc", [
    IntegrityError("INSERT", None, Exception("violates check constraint balance_within_cap")),
    wrapped(asyncpg.CheckViolationError("balance_within_cap")),
    ValueError("a bug"),
])
def test_a_bug_is_not_an_outage(exc: BaseException) -> None:
    assert not database_down(exc)
