"""Where the tests find PostgreSQL, in this order:

1. `TEST_DATABASE_URL`: a server where the tests may create databases
   (CI and the developers' machines: postgresql://postgres@127.0.0.1:5432/postgres);
2. testcontainers, where a Docker engine answers;
3. a throwaway server from the `pgserver` package, in a temporary folder.
"""

import asyncio
import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import asyncpg
from sqlalchemy.engine import make_url

from shared.db import driver_dsn


@contextmanager
def postgres_admin_url() -> Iterator[str]:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        yield url
        return
    if _docker_answers():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:15", driver=None) as container:
            yield container.get_connection_url()
        return
    try:
        import pgserver
    except ImportError as exc:
        raise RuntimeError(
            "No PostgreSQL for the tests: set TEST_DATABASE_URL, run Docker, or pip install pgserver"
        ) from exc
    with tempfile.TemporaryDirectory(prefix="pgserver-") as folder:
        server = pgserver.get_server(folder, cleanup_mode="stop")
        try:
            yield server.get_uri()
        finally:
            server.cleanup()


def _docker_answers() -> bool:
    with suppress(Exception):
        import docker  # installed with testcontainers

        return bool(docker.from_env().ping())
    return False


async def execute(url: str, statement: str) -> None:
    """One statement on its own connection (CREATE DATABASE, ANALYZE...)."""
    connection = await asyncpg.connect(driver_dsn(url))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def create_database(admin_url: str, label: str) -> str:
    """A new empty database on the admin server; returns its URL."""
    name = f"t_{label}_{uuid.uuid4().hex[:10]}"
    asyncio.run(execute(admin_url, f'CREATE DATABASE "{name}"'))
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, url: str) -> None:
    name = make_url(url).database
    asyncio.run(execute(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
