"""The platform as real processes: four uvicorn services on fresh PostgreSQL databases."""

import asyncio
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from conftest import ISSUER_KEY
from deploy.run_local import SERVICES, WITH_DATABASE, environment, start_services, stop_all
from tests.support.ports import free_ports


@dataclass
class Platform:
    urls: dict[str, str]
    databases: dict[str, str]
    stop_service: Callable[[str], None]
    keys_dir: Path  # the calling services' own key pairs (deploy.run_local.environment)


@pytest.fixture(scope="module")
def platform(migrated_database: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    var_dir: Path = tmp_path_factory.mktemp("e2e")
    ports = dict(zip(SERVICES, free_ports(len(SERVICES)), strict=True))
    env = environment(var_dir, ports, "127.0.0.1", issuer_public_keys=ISSUER_KEY.public_pem())
    databases = {service: migrated_database(service) for service in ("registry", "catalog", "settlement")}
    for service, url in databases.items():
        env[f"{service.upper()}_DATABASE_URL"] = url
    for service in SERVICES:  # schemathesis sends as fast as it can with one ops token: not a person
        env[f"{service.upper()}_RATE_LIMIT_OPS_PER_SECOND"] = "0"
    processes = start_services(var_dir, env, ports, "127.0.0.1")
    by_name = dict(zip(SERVICES, processes, strict=True))

    def stop_service(name: str) -> None:
        stop_all([by_name[name]])

    try:
        yield Platform({s: f"http://127.0.0.1:{p}" for s, p in ports.items()}, databases, stop_service,
                       var_dir / "keys")
    finally:
        stop_all(processes)


@pytest.fixture(scope="module")
def sqlite_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """The same four processes on SQLite files, migrated as `make run` does: the embedded store
    must answer as PostgreSQL does (time zones, savepoints)."""
    var_dir: Path = tmp_path_factory.mktemp("e2e-sqlite")
    ports = dict(zip(SERVICES, free_ports(len(SERVICES)), strict=True))
    env = environment(var_dir, ports, "127.0.0.1", issuer_public_keys=ISSUER_KEY.public_pem())
    databases = {service: f"sqlite:///{var_dir / service}.db" for service in WITH_DATABASE}
    for service, url in databases.items():
        env[f"{service.upper()}_DATABASE_URL"] = url
        subprocess.run([sys.executable, "-m", f"services.{service}", "migrate"], env=env, check=True)
    processes = start_services(var_dir, env, ports, "127.0.0.1")
    by_name = dict(zip(SERVICES, processes, strict=True))
    try:
        yield Platform({s: f"http://127.0.0.1:{p}" for s, p in ports.items()}, databases,
                       lambda name: stop_all([by_name[name]]), var_dir / "keys")
    finally:
        stop_all(processes)



def fetch(database_url: str, sql: str, *args: object) -> list[dict[str, object]]:
    """Read a service's database directly (tests only: to see what was, or was not, written)."""

    async def run() -> list[dict[str, object]]:
        connection = await asyncpg.connect(database_url)
        try:
            return [dict(r) for r in await connection.fetch(sql, *args)]
        finally:
            await connection.close()

    with ThreadPoolExecutor(1) as worker:
        return worker.submit(asyncio.run, run()).result()
