from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from services.settlement.database import Base
from shared.db import UtcDateTime
from shared.outbox import ChangeEventColumns, FeedCursorColumns


class ChangeEventRow(ChangeEventColumns, Base):
    """Settlement's outbox: a settlement settled (written by the settlement's own record statement,
    settlements.store) or cancelled (its unit of work, settlements.service)."""

    __tablename__ = "change_events"


class FeedCursorRow(FeedCursorColumns, Base):
    """The worker's cursor over registry's feed (name `registry`) and the broker relay's over this one."""

    __tablename__ = "feed_cursors"


class ReceivedChangeRow(Base):
    """A change event from a peer's feed, recorded once (its key: the feed and the event's id) however
    often it is delivered; by person, for the corrections to find the settlements it affects."""

    __tablename__ = "received_changes"
    __table_args__ = (
        Index("ix_received_changes_person", "id_number", "effective_from"),
        Index("ix_received_changes_unhandled", "received_at", postgresql_where=text("handled_at IS NULL"),
              sqlite_where=text("handled_at IS NULL")),
    )

    source: Mapped[str] = mapped_column(String(16), primary_key=True, doc="the feed: registry")
    event_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    type: Mapped[str] = mapped_column(String(48))
    id_number: Mapped[str] = mapped_column(String(18))
    effective_from: Mapped[date | None] = mapped_column(Date)
    effective_until: Mapped[date | None] = mapped_column(Date)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    handled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, doc="when the corrections took it up")
    outcome: Mapped[str | None] = mapped_column(String(200), doc="the proposal it led to, or why none")
