"""The sample item catalog (data/items_sample.csv, 示例数据，非真实目录) for `make run` and tests:
imported as any catalog file is, under one batch id, so seeding again changes nothing."""

from pathlib import Path

from services.catalog.items.parsing import rows_from_file
from services.catalog.items.repository import ItemRepository
from services.catalog.items.service import CatalogFile, run_import
from shared.auth import Principal, Role
from shared.db import Database
from shared.settings import DatabaseSettings

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "items_sample.csv"
SAMPLE_BATCH = "sample-items"
SEEDER = Principal(subject="seed", role=Role.OPS)


async def seed(settings: DatabaseSettings) -> None:
    database = Database(settings.database_url)
    try:
        async with database.sessions.begin() as session:
            rows = rows_from_file(SAMPLE.read_bytes(), excel=False)
            await run_import(ItemRepository(session), CatalogFile(SAMPLE_BATCH, rows, dry_run=False), SEEDER)
    finally:
        await database.dispose()
