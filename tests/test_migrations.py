"""Each service's migrations build exactly the tables its models declare (on PostgreSQL)."""

import asyncio
import importlib
from collections.abc import Callable

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import create_async_engine

from shared.db import async_url

MODELS = {
    "registry": ["services.registry.persons.models", "services.registry.identities.models",
                 "services.registry.audit.models", "services.registry.imports.models",
                 "services.registry.applications.models", "services.registry.chronic.models",
                 "services.registry.changes.models"],
    "catalog": ["services.catalog.regions.models", "services.catalog.hospitals.models"],
    "settlement": ["services.settlement.settlements.models", "services.settlement.ledger.models",
                   "services.settlement.claims.models", "services.settlement.manual_claims.models",
                   "services.settlement.admissions.models", "services.settlement.audit.models",
                   "services.settlement.changes.models", "services.settlement.corrections.models",
                   "services.settlement.alerts.models", "services.settlement.fund.models"],
}


def _metadata(service: str) -> MetaData:
    for module in MODELS[service]:
        importlib.import_module(module)
    return importlib.import_module(f"services.{service}.database").Base.metadata


async def _differences(url: str, metadata: MetaData, service: str) -> list[object]:
    engine = create_async_engine(async_url(url))
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(lambda sync: compare_metadata(MigrationContext.configure(
                sync, opts={"compare_type": True, "version_table": f"alembic_version_{service}"}), metadata))
    finally:
        await engine.dispose()


@pytest.mark.parametrize("service", sorted(MODELS))
def test_migrations_match_the_models(service: str, migrated_database: Callable[[str], str]) -> None:
    url = migrated_database(service)
    differences = asyncio.run(_differences(url, _metadata(service), service))
    assert differences == []
