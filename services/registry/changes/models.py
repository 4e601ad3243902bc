from services.registry.database import Base
from shared.outbox import ChangeEventColumns, FeedCursorColumns


class ChangeEventRow(ChangeEventColumns, Base):
    """The registry's outbox: one row per change of enrolment, identity, grant or filing, written with
    the change (`AuditRepository.record`). Append-only but for its feed id (shared.outbox)."""

    __tablename__ = "change_events"


class FeedCursorRow(FeedCursorColumns, Base):
    """The broker relay's cursor over this feed."""

    __tablename__ = "feed_cursors"
