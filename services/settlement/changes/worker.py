"""`python -m services.settlement worker`: consumes registry's change feed and settlement's own into
received_changes, takes them up into correction proposals (corrections/), runs each month's high-cost
alerts once the month has ended (alerts/) and, where SETTLEMENT_BROKER_URL is set, relays settlement's
own feed to the broker."""

from collections.abc import Awaitable, Callable
from typing import Any

from services.settlement.alerts.rules import HighCostData
from services.settlement.alerts.service import AlertService
from services.settlement.changes.models import ChangeEventRow, FeedCursorRow
from services.settlement.changes.service import receive
from services.settlement.corrections.service import CorrectionService
from services.settlement.peers import Peers
from services.settlement.settings import SettlementSettings
from shared.clock import Clock, utc_now
from shared.contracts.changes import ChangePage
from shared.db import Database
from shared.outbox import ChangeFeed, FeedConsumer
from shared.worker import run_worker


class OwnFeed:
    """Settlement's own feed read in process, answering as a peer's `GET /v1/changes` does: its
    settled and cancelled events reach the corrections by the same consumer as registry's."""

    def __init__(self, database: Database) -> None:
        self.feed = ChangeFeed(database, ChangeEventRow.__table__)

    async def get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        after = int(params["after"])
        events = await self.feed.page(after, int(params["limit"]))
        return ChangePage(changes=events, next_after=events[-1].id if events else after).model_dump(mode="json")


def worker_steps(database: Database, peers: Peers, clock: Clock = utc_now) -> dict[str, Callable[[], Awaitable[int]]]:
    """The worker's own repeated work beside the feeds."""
    return {"corrections": CorrectionService(database, peers).take_up,
            "high-cost alerts": AlertService(database, HighCostData.load(), clock).run_ended_months}


async def work(settings: SettlementSettings) -> None:
    peers = Peers.from_settings(settings)
    for client in peers.all():
        await client.start()
    try:
        await run_worker(
            "settlement", settings, events=ChangeEventRow.__table__, cursors=FeedCursorRow.__table__,
            consumers=lambda database, cursors: [
                FeedConsumer("registry", peers.registry, database, cursors, receive, batch=settings.changes_batch),
                FeedConsumer("settlement", OwnFeed(database), database, cursors,  # type: ignore[arg-type]
                             receive, batch=settings.changes_batch)],
            steps=lambda database: worker_steps(database, peers),
        )
    finally:
        for client in peers.all():
            await client.close()
