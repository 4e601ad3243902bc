"""`python -m services.registry worker`: relays registry's change feed to the broker (REGISTRY_BROKER_URL);
without a broker there is nothing for it to do."""

from services.registry.changes.models import ChangeEventRow, FeedCursorRow
from services.registry.settings import RegistrySettings
from shared.worker import run_worker


async def work(settings: RegistrySettings) -> None:
    await run_worker("registry", settings, events=ChangeEventRow.__table__, cursors=FeedCursorRow.__table__)
