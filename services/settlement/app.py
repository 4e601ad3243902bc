"""The settlement service: the HIS flow (admissions, settlements, cancel), the ledger of annual
accumulators, reconciliation, the fund flow and the hospitals' period claims."""

import asyncio
import contextlib
from pathlib import Path

from fastapi import FastAPI

from services.settlement import lookups
from services.settlement.admissions.router import router as admissions_router
from services.settlement.alerts.router import router as alerts_router
from services.settlement.alerts.rules import HighCostData
from services.settlement.alerts.service import AlertService
from services.settlement.audit.router import router as audit_router
from services.settlement.changes.models import ChangeEventRow, FeedCursorRow
from services.settlement.claims.router import router as claims_router
from services.settlement.claims.service import ClaimGauges, ClaimService
from services.settlement.corrections.router import payments_router as correction_payments_router
from services.settlement.corrections.router import router as corrections_router
from services.settlement.corrections.service import CorrectionService
from services.settlement.fund.router import router as fund_router
from services.settlement.fund.service import FundGauges, FundService, catalog_regions
from services.settlement.manual_claims.router import router as manual_claims_router
from services.settlement.manual_claims.service import ManualClaimService
from services.settlement.monitoring.router import router as monitoring_router
from services.settlement.peers import Peers
from services.settlement.recalculation.router import router as recalculation_router
from services.settlement.recalculation.service import RecalculationService
from services.settlement.reconciliation.router import router as reconciliation_router
from services.settlement.reconciliation.service import ReconciliationService
from services.settlement.settings import SettlementSettings
from services.settlement.settlements.router import router as settlements_router
from services.settlement.settlements.service import SettlementFlow
from services.settlement.settlements.store import HOT_STATEMENTS
from services.settlement.statements.router import router as statements_router
from shared.app import build_service_app
from shared.db import Database
from shared.observability import keep_refreshing
from shared.outbox import ChangeFeed, FeedGauges, changes_router
from shared.rate_limit import RateLimiter

SERVICE_DIR = Path(__file__).parent
# At shutdown, how long the settlements cancelled past the grace period get to give their serials
# back (a statement to the database each).
GIVE_BACK_SECONDS = 5


def create_app(settings: SettlementSettings | None = None) -> FastAPI:
    settings = settings or SettlementSettings()
    database = Database(settings.database_url, pool_size=settings.db_pool_size,
                        warm_connections=settings.db_pool_warm, hot_statements=HOT_STATEMENTS)
    peers = Peers.from_settings(settings)

    async def start(app: FastAPI) -> None:
        for client in peers.all():
            await client.start()
        await asyncio.gather(*(client.warm() for client in peers.all()))
        await lookups.warm(peers)
        app.state.hospital_changes = asyncio.create_task(lookups.follow_hospital_changes(
            peers.catalog, app.state.settlement_flow.hospitals, settings.hospital_changes_poll_seconds))
        # Settlements move the balances without telling the fund: nothing is added to their write path.
        app.state.fund_gauges = asyncio.create_task(keep_refreshing(
            "fund balance gauges", [app.state.fund.refresh_gauges], settings.fund_metrics_refresh_seconds))
        app.state.lag_gauges = asyncio.create_task(keep_refreshing(
            "feed and claims gauges", [app.state.feed_gauges.refresh, app.state.claim_gauges.refresh],
            settings.lag_metrics_refresh_seconds))
        await app.state.recalculations.resume_unfinished()

    async def close(app: FastAPI) -> None:
        await app.state.settlement_flow.drain(GIVE_BACK_SECONDS)
        await app.state.recalculations.close()
        for task in (app.state.hospital_changes, app.state.fund_gauges, app.state.lag_gauges):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for client in peers.all():
            await client.close()

    app = build_service_app(
        service="settlement",
        title="Settlement 一站式即时结算",
        description="医院HIS出院结算：基本医保、大病保险、医疗救助、再救助与个人自付一单结清。"
        " The HIS discharge settlement: every fund's share on one statement.",
        settings=settings,
        routers=[admissions_router, settlements_router, statements_router, audit_router, monitoring_router,
                 manual_claims_router, corrections_router, correction_payments_router, fund_router,
                 reconciliation_router, claims_router, recalculation_router, changes_router(), alerts_router],
        readiness={client.peer: client.ready for client in peers.all()},
        database=database,
        on_startup=[start],
        on_shutdown=[close],
    )
    app.state.peers = peers
    app.state.change_feed = ChangeFeed(database, ChangeEventRow.__table__)
    app.state.lookup_limiter = RateLimiter(settings.lookup_rate_per_second, settings.lookup_burst)
    app.state.settlement_flow = SettlementFlow(
        database, peers, lookup_limiter=app.state.lookup_limiter,
        deadline_seconds=settings.settlement_deadline_seconds, max_attempts=settings.max_attempts,
    )
    app.state.alerts = AlertService(database, HighCostData.load())
    app.state.manual_claims = ManualClaimService(database, app.state.settlement_flow)
    app.state.fund = FundService(
        database, catalog_regions(peers.catalog, settings.fund_city_code),
        threshold_days=settings.fund_low_days_of_cover, window_days=settings.fund_draw_window_days,
        gauges=FundGauges(app.state.metrics.registry),
    )
    app.state.reconciliation = ReconciliationService(database)
    app.state.claims = ClaimService(database, app.state.settlement_flow)
    app.state.corrections = CorrectionService(database, peers)
    app.state.recalculations = RecalculationService(
        database, peers, app.state.corrections, chunk_rows=settings.recalculation_chunk_rows,
        stop_after_chunks=settings.recalculation_stop_after_chunks,
    )
    app.state.claim_gauges = ClaimGauges(app.state.metrics.registry, database)
    # The worker consumes registry's feed and relays this one; their lags are shown here, on /metrics.
    app.state.feed_gauges = FeedGauges(
        app.state.metrics.registry, "settlement", database, ChangeEventRow.__table__, FeedCursorRow.__table__,
        relayed=settings.broker_url is not None, consumed={"registry": peers.registry},
    )
    return app
