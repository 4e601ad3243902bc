"""The four services as the benchmarks run them: fresh PostgreSQL databases ($TEST_DATABASE_URL,
default the local server), migrated, one uvicorn process each, trusting a key pair made for the run,
logging warnings only (access logs would measure the disk). Everything is stopped and dropped after."""

import os
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from deploy.run_local import SERVICES, WITH_DATABASE, environment, start_services, stop_all
from shared.auth import SigningKey, TokenIssuer
from shared.migrations import upgrade
from tests.support.ports import free_ports
from tests.support.postgres import create_database, drop_database

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class BenchPlatform:
    issuer: TokenIssuer
    databases: dict[str, str]  # the services' and each extra database asked for
    ports: dict[str, int]
    processes: list[subprocess.Popen[bytes]]  # in SERVICES order

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"


@contextmanager
def bench_platform(
    env_overrides: Mapping[str, str] | None = None, extra_databases: tuple[str, ...] = (),
) -> Iterator[BenchPlatform]:
    admin_url = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    key = SigningKey.generate()
    databases = {s: create_database(admin_url, f"bench_{s}") for s in (*WITH_DATABASE, *extra_databases)}
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for service in WITH_DATABASE:
            upgrade(ROOT / "services" / service, databases[service])
        var_dir = Path(tempfile.mkdtemp(prefix="bench-"))
        ports = dict(zip(SERVICES, free_ports(len(SERVICES)), strict=True))
        env = environment(var_dir, ports, "127.0.0.1", issuer_public_keys=key.public_pem())
        for service in WITH_DATABASE:
            env[f"{service.upper()}_DATABASE_URL"] = databases[service]
        for service in SERVICES:
            env[f"{service.upper()}_LOG_LEVEL"] = "WARNING"
        env.update(env_overrides or {})
        processes += start_services(var_dir, env, ports, "127.0.0.1")
        yield BenchPlatform(TokenIssuer(key, "assistance-platform"), databases, ports, processes)
    finally:
        stop_all(processes)
        for url in databases.values():
            drop_database(admin_url, url)


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """The user and system CPU a process has used so far (Linux /proc; 0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
