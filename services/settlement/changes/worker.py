"""`python -m services.settlement worker`: consumes registry's change feed into received_changes and,
where SETTLEMENT_BROKER_URL is set, relays settlement's own feed to the broker."""

from services.settlement.changes.models import ChangeEventRow, FeedCursorRow
from services.settlement.changes.service import receive
from services.settlement.settings import SettlementSettings
from shared.http_client import peer_client, service_tokens
from shared.outbox import FeedConsumer
from shared.worker import run_worker


async def work(settings: SettlementSettings) -> None:
    registry = peer_client("registry", settings.registry_url, settings, service_tokens(settings, caller="settlement"))
    try:
        await run_worker(
            "settlement", settings, events=ChangeEventRow.__table__, cursors=FeedCursorRow.__table__,
            consumers=lambda database, cursors: [
                FeedConsumer("registry", registry, database, cursors, receive, batch=settings.changes_batch)],
        )
    finally:
        await registry.close()
