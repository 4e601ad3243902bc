"""`python -m services.<name> migrate | seed | serve | worker`: the same commands for every service."""

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import uvicorn

from shared.edge import ProblemHttpToolsProtocol
from shared.migrations import upgrade
from shared.settings import DatabaseSettings, ServiceSettings

Seeder = Callable[[DatabaseSettings], Awaitable[None]]
Worker = Callable[[Any], Awaitable[None]]


def service_main(
    *,
    name: str,
    service_dir: Path,
    settings_factory: Callable[[], ServiceSettings],
    app_factory: str,
    default_port: int,
    seeder: Seeder | None = None,
    worker: Worker | None = None,
    argv: list[str] | None = None,
) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m services.{name}")
    sub = parser.add_subparsers(dest="command", required=True)
    if (service_dir / "migrations").is_dir():
        sub.add_parser("migrate", help="apply the Alembic migrations to the configured database")
    if seeder is not None:
        sub.add_parser("seed", help="load demo data (idempotent)")
    if worker is not None:
        sub.add_parser("worker", help="run the background worker (change feeds, broker relay)")
    serve = sub.add_parser("serve", help="run the HTTP service")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=default_port)
    serve.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)

    settings = settings_factory()
    if args.command == "migrate":
        assert isinstance(settings, DatabaseSettings)
        upgrade(service_dir, settings.database_url)
    elif args.command == "worker":
        assert worker is not None
        asyncio.run(worker(settings))
    elif args.command == "seed":
        assert seeder is not None and isinstance(settings, DatabaseSettings)
        asyncio.run(seeder(settings))
    else:
        # httptools, as uvicorn[standard] would pick, answering what it refuses with problem+json; no
        # `server: uvicorn` header (what runs here is nobody's business); Date stays (HTTP wants it).
        uvicorn.run(
            app_factory, factory=True, host=args.host, port=args.port, workers=args.workers,
            access_log=False, log_config=None, proxy_headers=False,
            http=ProblemHttpToolsProtocol, server_header=False,
            timeout_graceful_shutdown=settings.shutdown_grace_seconds,
        )
    return 0


def run(**kwargs: object) -> None:
    sys.exit(service_main(**kwargs))  # type: ignore[arg-type]
