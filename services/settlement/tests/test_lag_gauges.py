"""The lag and past-due gauges on settlement's /metrics, recomputed in the background: the outbox's
events not yet relayed to the broker, the age of the oldest registry event the consumer has not
applied (registry served over HTTP), the claims unpaid past their due date. Both on PostgreSQL."""

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import insert, select, update

from services.registry.changes.models import ChangeEventRow as RegistryChangeRow
from services.settlement.app import create_app
from services.settlement.changes.models import ChangeEventRow, FeedCursorRow
from services.settlement.changes.service import receive
from services.settlement.claims.models import ClaimPeriodRow, ClaimPeriodRuleRow
from services.settlement.settings import SettlementSettings
from shared.auth import Role
from shared.clock import today
from shared.db import Database
from shared.http_client import peer_client, service_tokens
from shared.outbox import ChangeFeed, FeedConsumer, FeedCursors
from tests.support.feeds import served

pytestmark = pytest.mark.asyncio(loop_scope="session")
ID_NUMBER = "370602199001011239"


def _event(occurred_at: datetime) -> dict[str, object]:
    return {"type": "identity.added", "id_number": ID_NUMBER, "effective_from": None, "effective_until": None,
            "occurred_at": occurred_at}


async def _gauges(app: object, auth: Callable[..., dict[str, str]]) -> dict[tuple[str, tuple[str, ...]], float]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:  # type: ignore[arg-type]
        response = await client.get("/metrics", headers=auth(Role.OPS))
    assert response.status_code == 200
    return {(sample.name, tuple(sorted(sample.labels.values()))): sample.value
            for family in text_string_to_metric_families(response.text) for sample in family.samples
            if sample.name.startswith(("assistance_outbox", "assistance_feed", "assistance_claims"))}


async def _until(read: Callable[[], object], expected: Callable[[dict], bool], seconds: float = 10) -> dict:  # type: ignore[type-arg]
    deadline = time.monotonic() + seconds
    while True:
        gauges = await read()  # type: ignore[misc]
        if expected(gauges) or time.monotonic() > deadline:
            return gauges
        await asyncio.sleep(0.1)


async def _claim_periods(database: Database) -> None:
    """Three periods of one hospital: approved past its due date (counted), paid past it and approved
    not yet due (neither)."""
    async with database.engine.begin() as connection:
        rule_id = await connection.scalar(select(ClaimPeriodRuleRow.id).limit(1))
        now = datetime.now(UTC)
        rows = [("approved", today() - timedelta(days=1), date(2023, 1, 1)),
                ("paid", today() - timedelta(days=30), date(2023, 2, 1)),
                ("approved", today() + timedelta(days=10), date(2023, 3, 1))]
        await connection.execute(insert(ClaimPeriodRow), [
            {"id": f"p{n}", "hospital_code": "060001", "rule_id": rule_id, "starts_on": starts,
             "ends_on": starts + timedelta(days=27), "status": status, "opened_at": now, "opened_by": "ops",
             "due_on": due} for n, (status, due, starts) in enumerate(rows)])


async def test_the_gauges_show_what_is_behind_and_fall_to_zero_once_done(  # type: ignore[no-untyped-def]
    registry: tuple[str, Database], settlement: tuple[Database, SettlementSettings], auth,
) -> None:
    registry_url, registry_database = registry
    database, settings = settlement
    two_minutes_ago = datetime.now(UTC) - timedelta(minutes=2)
    async with registry_database.engine.begin() as connection:
        await connection.execute(insert(RegistryChangeRow.__table__), [
            _event(two_minutes_ago), _event(two_minutes_ago + timedelta(seconds=30))])
    await served(ChangeFeed(registry_database, RegistryChangeRow.__table__), 2)
    async with database.engine.begin() as connection:  # settlement's own outbox: three events to relay
        await connection.execute(insert(ChangeEventRow.__table__), [_event(datetime.now(UTC))] * 3)
    await _claim_periods(database)

    app = create_app(settings.model_copy(update={
        "registry_url": registry_url, "broker_url": "amqp://guest:guest@127.0.0.1:5672/",
        "lag_metrics_refresh_seconds": 0.1}))
    async with app.router.lifespan_context(app):
        # Before the first refresh the labelled gauges have no series and the unlabelled one reads 0.
        gauges = await _until(lambda: _gauges(app, auth),
                              lambda g: len(g) == 3 and g[("assistance_claims_past_due", ())])
        assert gauges[("assistance_outbox_lag_events", ("settlement",))] == 3
        assert gauges[("assistance_claims_past_due", ())] == 1
        # The oldest event not applied was written two minutes ago (and some instants).
        assert 120 <= gauges[("assistance_feed_consumer_lag_seconds", ("settlement/registry",))] < 150

        # The consumer applies registry's events, the relay passes settlement's: nothing is behind.
        client = peer_client("registry", registry_url, settings, service_tokens(settings, caller="settlement"))
        try:
            cursors = FeedCursors(database, FeedCursorRow.__table__)
            assert await FeedConsumer("registry", client, database, cursors, receive).poll() == 2
        finally:
            await client.close()
        [*_, last] = await served(ChangeFeed(database, ChangeEventRow.__table__), 3)
        await cursors.position("broker")
        async with database.engine.begin() as connection:
            await connection.execute(update(FeedCursorRow.__table__).where(FeedCursorRow.name == "broker")
                                     .values(position=last.id))
        gauges = await _until(lambda: _gauges(app, auth), lambda g: g[(
            "assistance_feed_consumer_lag_seconds", ("settlement/registry",))] == 0 and g[(
                "assistance_outbox_lag_events", ("settlement",))] == 0)
        assert gauges[("assistance_outbox_lag_events", ("settlement",))] == 0
        assert gauges[("assistance_feed_consumer_lag_seconds", ("settlement/registry",))] == 0


async def test_without_a_broker_no_outbox_gauge_is_exported(  # type: ignore[no-untyped-def]
    settlement: tuple[Database, SettlementSettings], auth,
) -> None:
    _database, settings = settlement
    app = create_app(settings)
    gauges = await _gauges(app, auth)
    assert not any(name == "assistance_outbox_lag_events" for name, _ in gauges)
