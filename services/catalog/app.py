"""The catalog service: regions and designated hospitals."""

from pathlib import Path

from fastapi import FastAPI

from services.catalog.hospitals.router import router as hospitals_router
from services.catalog.items.router import router as items_router
from services.catalog.regions.router import router as regions_router
from services.catalog.settings import CatalogSettings
from shared.app import build_service_app
from shared.db import Database

SERVICE_DIR = Path(__file__).parent


def create_app(settings: CatalogSettings | None = None) -> FastAPI:
    settings = settings or CatalogSettings()
    return build_service_app(
        service="catalog",
        title="Catalog 区划与定点医疗机构",
        description="行政区划树与一站式结算定点医疗机构（2018年第一批231家）。"
        " Regions and designated hospitals (the 231 of the 2018 notice).",
        settings=settings,
        routers=[regions_router, hospitals_router, items_router],
        readiness={},
        database=Database(settings.database_url, pool_size=settings.db_pool_size,
                          warm_connections=settings.db_pool_warm),
    )
