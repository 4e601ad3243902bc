"""Business dates are dates in Asia/Shanghai (docs/design.md, Conventions). A service that acts at a
moment of the calendar (after a month ends) takes a `Clock` instead of reading the time itself, so
its tests can choose the moment."""

from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

Clock = Callable[[], datetime]
"""The current moment, timezone-aware."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def today(clock: Clock = utc_now) -> date:
    return clock().astimezone(SHANGHAI).date()
