"""The platform as real processes: four uvicorn services on fresh PostgreSQL databases."""

import asyncio
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from conftest import ISSUER_KEY
from deploy.run_local import (
    SERVICES,
    WITH_DATABASE,
    environment,
    start_service,
    start_services,
    start_worker,
    stop_all,
    wait_healthy,
)
from tests.support.ports import free_ports


@dataclass
class Platform:
    urls: dict[str, str]
    databases: dict[str, str]
    stop_service: Callable[[str], None]
    keys_dir: Path  # the calling services' own key pairs (deploy.run_local.environment)
    restart_service: Callable[..., None]
    """restart_service(name, **settings): stop it if running, start it again on its port with the
    platform's environment plus `settings` (e.g. SETTLEMENT_MAX_ATTEMPTS="1"), wait until healthy."""
    var_dir: Path  # the services' logs: <service>.log
    processes: dict[str, subprocess.Popen[bytes]]  # each service's running process (after restarts too)
    start_replica: Callable[..., str]
    """start_replica(name, **settings): one more process of the service, on a free port, with the
    platform's environment plus `settings` and the same database; its URL once healthy. Stopped
    with the platform."""


def _running(
    var_dir: Path, env: dict[str, str], ports: dict[str, int], databases: dict[str, str],
) -> Iterator[Platform]:
    by_name = dict(zip(SERVICES, start_services(var_dir, env, ports, "127.0.0.1"), strict=True))

    def stop_service(name: str) -> None:
        stop_all([by_name[name]])

    def restart_service(name: str, **settings: str) -> None:
        stop_service(name)
        by_name[name] = start_service(var_dir, env | settings, name, ports[name], "127.0.0.1")
        wait_healthy(f"http://127.0.0.1:{ports[name]}", by_name[name])

    replicas: list[subprocess.Popen[bytes]] = []

    def start_replica(name: str, **settings: str) -> str:
        [port] = free_ports(1)
        replicas.append(start_service(var_dir, env | settings, name, port, "127.0.0.1"))
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, replicas[-1])
        return url

    try:
        yield Platform({s: f"http://127.0.0.1:{p}" for s, p in ports.items()}, databases, stop_service,
                       var_dir / "keys", restart_service, var_dir, by_name, start_replica)
    finally:
        stop_all([*replicas, *by_name.values()])


def _on_postgresql(
    migrated_database: Callable[[str], str], var_dir: Path, ports: dict[str, int],
) -> tuple[dict[str, str], dict[str, str]]:
    """The platform's environment on fresh PostgreSQL databases, and those databases."""
    env = environment(var_dir, ports, "127.0.0.1", issuer_public_keys=ISSUER_KEY.public_pem())
    databases = {service: migrated_database(service) for service in ("registry", "catalog", "settlement")}
    for service, url in databases.items():
        env[f"{service.upper()}_DATABASE_URL"] = url
    for service in SERVICES:  # schemathesis sends as fast as it can with one ops token: not a person
        env[f"{service.upper()}_RATE_LIMIT_OPS_PER_SECOND"] = "0"
    return env, databases


@pytest.fixture(scope="module")
def platform(migrated_database: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    var_dir: Path = tmp_path_factory.mktemp("e2e")
    ports = dict(zip(SERVICES, free_ports(len(SERVICES)), strict=True))
    env, databases = _on_postgresql(migrated_database, var_dir, ports)
    yield from _running(var_dir, env, ports, databases)


@pytest.fixture(scope="module")
def platform_with_worker(
    migrated_database: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Platform]:
    """The platform on PostgreSQL with settlement's worker consuming registry's change feed (its log:
    settlement-worker.log)."""
    var_dir: Path = tmp_path_factory.mktemp("e2e-worker")
    ports = dict(zip(SERVICES, free_ports(len(SERVICES)), strict=True))
    env, databases = _on_postgresql(migrated_database, var_dir, ports)
    env["SETTLEMENT_CHANGES_POLL_SECONDS"] = "0.2"
    running = _running(var_dir, env, ports, databases)
    platform = next(running)
    worker = start_worker(var_dir, env, "settlement")
    try:
        yield platform
    finally:
        stop_all([worker])
        running.close()


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
    yield from _running(var_dir, env, ports, databases)


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


@contextmanager
def held_lock(database_url: str, locking_statement: str, *args: object) -> Iterator[None]:
    """Run `locking_statement` (SELECT ... FOR UPDATE, LOCK TABLE ...) in a transaction of the test's
    own and hold what it locks until the block ends: whatever a service does that needs it waits."""
    held, release = threading.Event(), threading.Event()

    async def hold() -> None:
        connection = await asyncpg.connect(database_url)
        try:
            async with connection.transaction():
                assert await connection.execute(locking_statement, *args) != "SELECT 0", "nothing to lock"
                held.set()
                while not release.is_set():
                    await asyncio.sleep(0.02)
        finally:
            await connection.close()

    with ThreadPoolExecutor(1) as worker:
        holding = worker.submit(asyncio.run, hold())
        while not held.wait(0.05):
            if holding.done():
                holding.result()
        try:
            yield
        finally:
            release.set()
            holding.result()


def person_year_locked(database_url: str, id_number: str, year: int = 2023) -> AbstractContextManager[None]:
    """The person-year's row locked: a settlement of the person stays in flight at its record (and
    holds its own settlement row meanwhile). The row must exist: settle the person once first."""
    return held_lock(database_url, "SELECT FROM person_years WHERE id_number = $1 AND year = $2 FOR UPDATE",
                     id_number, year)


def wait_until_waiting_for_locks(database_url: str, count: int, seconds: float = 10) -> None:
    """Until `count` statements of the database wait for a lock (e.g. settlements at their record)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        [row] = fetch(database_url, "SELECT count(*) AS waiting FROM pg_stat_activity "
                      "WHERE datname = current_database() AND wait_event_type = 'Lock'")
        if row["waiting"] >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"{count} statements did not come to wait for a lock in {seconds} s")
