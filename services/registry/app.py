"""The registry service: insured persons and their assistance identities."""

from pathlib import Path

from fastapi import FastAPI

from services.registry.audit.router import router as audit_router
from services.registry.eligibility.router import router as eligibility_router
from services.registry.identities.router import router as identities_router
from services.registry.persons.router import router as persons_router
from services.registry.settings import RegistrySettings
from shared.app import build_service_app
from shared.db import Database

SERVICE_DIR = Path(__file__).parent


def create_app(settings: RegistrySettings | None = None) -> FastAPI:
    settings = settings or RegistrySettings()
    return build_service_app(
        service="registry",
        title="Registry 参保人员与救助身份",
        description="参保人员、救助身份（次月生效）与资格查询。"
        " Insured persons, assistance identities (next-month rule) and eligibility on a date.",
        settings=settings,
        routers=[persons_router, identities_router, eligibility_router, audit_router],
        readiness={},
        database=Database(settings.database_url, pool_size=settings.db_pool_size),
    )
