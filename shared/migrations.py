"""Alembic, the same way for every service: `env.py` calls `run_migrations(metadata)`, and code
calls `upgrade(service_dir, database_url)`."""

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from shared.db import async_url, is_sqlite


def alembic_config(service_dir: Path, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(service_dir / "migrations"))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(service_dir: Path, database_url: str, revision: str = "head") -> None:
    """Migrate a service's database. Call from synchronous code (a CLI, a fixture)."""
    if is_sqlite(database_url):
        db_path = database_url.split("///", 1)[-1]
        if db_path and db_path != ":memory:":
            Path(db_path).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(service_dir, database_url), revision)


def _run_sync(connection: Connection, metadata: MetaData, version_table: str) -> None:
    context.configure(
        connection=connection, target_metadata=metadata, version_table=version_table,
        render_as_batch=connection.dialect.name == "sqlite", compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(url: str, metadata: MetaData, version_table: str) -> None:
    engine = create_async_engine(async_url(url), poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(_run_sync, metadata, version_table)
    await engine.dispose()


def run_migrations(metadata: MetaData, service: str) -> None:
    """The body of every service's migrations/env.py. Each service keeps its own version table, so
    services can share one database (schema) without their histories colliding."""
    version_table = f"alembic_version_{service}"
    url = context.config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("sqlalchemy.url is not set: use shared.migrations.upgrade()")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True, version_table=version_table)
        with context.begin_transaction():
            context.run_migrations()
        return
    asyncio.run(_run_async(url, metadata, version_table))
