"""The registry service: insured persons, their enrolment and assistance identities with history,
list imports from agencies, eligibility on any date."""

import asyncio
import contextlib
from pathlib import Path

from fastapi import FastAPI

from services.registry.applications.router import router as applications_router
from services.registry.audit.router import router as audit_router
from services.registry.changes.models import ChangeEventRow, FeedCursorRow
from services.registry.chronic.router import router as chronic_router
from services.registry.chronic.rules import DiseaseList
from services.registry.eligibility.repository import HOT_STATEMENTS
from services.registry.eligibility.router import router as eligibility_router
from services.registry.identities.router import router as identities_router
from services.registry.imports.regions import RegionDirectory
from services.registry.imports.router import router as imports_router
from services.registry.out_of_region.router import router as out_of_region_router
from services.registry.persons.router import router as persons_router
from services.registry.settings import RegistrySettings
from shared.app import build_service_app
from shared.db import Database
from shared.http_client import peer_client, service_tokens
from shared.observability import keep_refreshing
from shared.outbox import ChangeFeed, FeedGauges, changes_router

SERVICE_DIR = Path(__file__).parent


def create_app(settings: RegistrySettings | None = None) -> FastAPI:
    settings = settings or RegistrySettings()
    database = Database(settings.database_url, pool_size=settings.db_pool_size,
                        warm_connections=settings.db_pool_warm, hot_statements=HOT_STATEMENTS)
    catalog = peer_client("catalog", settings.catalog_url, settings, service_tokens(settings, caller="registry"))

    async def start(app: FastAPI) -> None:
        await catalog.start()
        if settings.broker_url is not None:  # the worker relays the feed: its lag on /metrics
            app.state.lag_gauges = asyncio.create_task(keep_refreshing(
                "outbox gauge", [app.state.feed_gauges.refresh], settings.lag_metrics_refresh_seconds))

    async def close(app: FastAPI) -> None:
        if settings.broker_url is not None:
            app.state.lag_gauges.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await app.state.lag_gauges
        await catalog.close()

    app = build_service_app(
        service="registry",
        title="Registry 参保人员与救助身份",
        description="参保人员、参保状态与救助身份（次月生效，保留历史）、名单导入与任一日期的资格查询。"
        " Insured persons, enrolment and identities with their history, list imports, eligibility on any date.",
        settings=settings,
        routers=[persons_router, identities_router, eligibility_router, audit_router, imports_router,
                 applications_router, chronic_router, out_of_region_router, changes_router()],
        readiness={},
        database=database,
        on_startup=[start],
        on_shutdown=[close],
    )
    app.state.region_directory = RegionDirectory(catalog)
    app.state.catalog = catalog
    app.state.chronic_diseases = DiseaseList.load()
    app.state.change_feed = ChangeFeed(database, ChangeEventRow.__table__)
    app.state.feed_gauges = FeedGauges(
        app.state.metrics.registry, "registry", database, ChangeEventRow.__table__, FeedCursorRow.__table__,
        relayed=settings.broker_url is not None, consumed={},
    )
    return app
