"""`make run`: the four services on SQLite files under var/, migrated and seeded, and the workers.

Prints the URLs and demo tokens, and stops every process on Ctrl-C (or SIGTERM). Settlement's
worker consumes registry's change feed; with BROKER_URL set (amqp://guest:guest@127.0.0.1:5672/),
registry's and settlement's workers also relay their feeds to that RabbitMQ.
"""

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from shared.auth import Role, SigningKey, TokenIssuer

SERVICES = ("registry", "catalog", "assistance", "settlement")
WITH_DATABASE = ("registry", "catalog", "settlement")
# Who calls whom: each caller signs its service tokens with its own key; a callee trusts exactly
# its callers' public keys, for role service only.
CALLERS_OF = {"registry": ("settlement",), "catalog": ("registry", "settlement"),
              "assistance": ("settlement",), "settlement": ()}


FEEDS = ("registry", "settlement")  # the services keeping a change feed (shared.outbox)


def workers(env: dict[str, str]) -> list[str]:
    """The services whose worker runs: settlement's always (it consumes registry's feed); registry's
    only to relay its feed to a broker."""
    return [service for service in FEEDS if service == "settlement" or env.get(f"{service.upper()}_BROKER_URL")]


def start_worker(var_dir: Path, env: dict[str, str], service: str) -> subprocess.Popen[bytes]:
    """Start a service's worker (log in var_dir/<service>-worker.log)."""
    return subprocess.Popen(
        [sys.executable, "-m", f"services.{service}", "worker"],
        env=env, stdout=(var_dir / f"{service}-worker.log").open("ab"), stderr=subprocess.STDOUT,
    )


def key_pair(stem: Path) -> SigningKey:
    """The key pair `<stem>.pem` (0600) and `<stem>.pub.pem`, made on first use."""
    if not Path(f"{stem}.pem").exists():
        SigningKey.generate().write(stem)
    return SigningKey.load(f"{stem}.pem")


def environment(var_dir: Path, ports: dict[str, int], host: str, *, issuer_public_keys: str) -> dict[str, str]:
    """The services' environment: they trust `issuer_public_keys` (PEM text or paths) for user tokens;
    the service key pairs live under var_dir/keys."""
    env = dict(os.environ)
    keys = var_dir / "keys"
    for caller in {c for callers in CALLERS_OF.values() for c in callers}:
        key_pair(keys / f"{caller}-service")
        env[f"{caller.upper()}_SERVICE_SIGNING_KEY"] = str(keys / f"{caller}-service.pem")
    for service in SERVICES:
        prefix = service.upper()
        env[f"{prefix}_JWT_PUBLIC_KEYS"] = issuer_public_keys
        env[f"{prefix}_JWT_SERVICE_PUBLIC_KEYS"] = ",".join(
            str(keys / f"{caller}-service.pub.pem") for caller in CALLERS_OF[service])
        if service in WITH_DATABASE:
            env.setdefault(f"{prefix}_DATABASE_URL", f"sqlite:///{var_dir / service}.db")
    broker = os.environ.get("BROKER_URL")
    for service in FEEDS:
        if broker:
            env.setdefault(f"{service.upper()}_BROKER_URL", broker)
    for peer in ("registry", "catalog", "assistance"):
        env[f"SETTLEMENT_{peer.upper()}_URL"] = f"http://{host}:{ports[peer]}"
    env["REGISTRY_CATALOG_URL"] = f"http://{host}:{ports['catalog']}"
    return env


def busy_ports(host: str, ports: dict[str, int]) -> dict[str, int]:
    """The services whose port something else already listens on (checked before anything starts:
    a service that cannot bind would otherwise fail after the tokens were printed)."""
    busy = {}
    for service, port in ports.items():
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds: TIME_WAIT is free
            try:
                probe.bind((host, port))
            except OSError:
                busy[service] = port
    return busy


def wait_healthy(url: str, process: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with {process.returncode} while starting")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not become healthy in {seconds} s")


def start_service(var_dir: Path, env: dict[str, str], service: str, port: int, host: str) -> subprocess.Popen[bytes]:
    """Start one service (log in var_dir/<service>.log), without waiting for it."""
    return subprocess.Popen(
        [sys.executable, "-m", f"services.{service}", "serve", "--host", host, "--port", str(port)],
        env=env, stdout=(var_dir / f"{service}.log").open("ab"), stderr=subprocess.STDOUT,
    )


def start_services(
    var_dir: Path, env: dict[str, str], ports: dict[str, int], host: str,
) -> list[subprocess.Popen[bytes]]:
    """Start the four services (logs in var_dir/<service>.log) and wait until each is healthy."""
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for service in SERVICES:
            processes.append(start_service(var_dir, env, service, ports[service], host))
        for service, process in zip(SERVICES, processes, strict=True):
            wait_healthy(f"http://{host}:{ports[service]}", process)
    except BaseException:
        stop_all(processes)
        raise
    return processes


def stop_all(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--var-dir", type=Path, default=Path("var"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--base-port", type=int, default=8101, help="registry; the others follow")
    args = parser.parse_args(argv)

    ports = {service: args.base_port + i for i, service in enumerate(SERVICES)}
    busy = busy_ports(args.host, ports)
    for service, port in busy.items():
        print(f"port {port} ({service}) is already in use on {args.host}; stop what holds it or choose "
              f"another base port, e.g. make run PORT={args.base_port + 1000}", file=sys.stderr)
    if busy:
        return 1
    var_dir: Path = args.var_dir.resolve()
    var_dir.mkdir(parents=True, exist_ok=True)
    issuer_key = var_dir / "keys" / "issuer"
    issuer = TokenIssuer(key_pair(issuer_key), "assistance-platform")
    env = environment(var_dir, ports, args.host, issuer_public_keys=f"{issuer_key}.pub.pem")

    for service in WITH_DATABASE:
        subprocess.run([sys.executable, "-m", f"services.{service}", "migrate"], env=env, check=True)
    for service in ("registry", "catalog"):
        subprocess.run([sys.executable, "-m", f"services.{service}", "seed"], env=env, check=True)

    processes: list[subprocess.Popen[bytes]] = []
    stopping = False

    def request_stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        processes.extend(start_services(var_dir, env, ports, args.host))
        names = [*SERVICES, *(f"{service} worker" for service in workers(env))]
        processes.extend(start_worker(var_dir, env, service) for service in workers(env))

        tokens = {
            "ops": issuer.mint(subject="ops-demo", role=Role.OPS),
            "his (hospital 060001 毓璜顶医院)": issuer.mint(
                subject="his-060001", role=Role.HIS, hospital_code="060001"),
            "agency civil_affairs": issuer.mint(
                subject="civil-affairs-demo", role=Role.AGENCY, agency="civil_affairs"),
            "agency rural_revitalization": issuer.mint(
                subject="rural-revitalization-demo", role=Role.AGENCY, agency="rural_revitalization"),
        }
        print(f"\nThe platform is running (logs in {var_dir}/*.log). Ctrl-C stops it.\n")
        for service in SERVICES:
            print(f"  {service:<11} http://{args.host}:{ports[service]}/docs")
        relaying = "relaying to the broker" if os.environ.get("BROKER_URL") else "no broker: set BROKER_URL to relay"
        print(f"  workers: {', '.join(workers(env))} (change feeds; {relaying})")
        print(f"\nDemo tokens (his and agency valid 24 h, ops 12 h; issuer's private key {issuer_key}.pem):")
        for name, token in tokens.items():
            print(f"  {name}:\n    {token}")
        print(f"\nTry: curl -H 'Authorization: Bearer <ops token>' "
              f"http://{args.host}:{ports['registry']}/v1/persons/370602199001011239/eligibility?on=2023-06-01",
              flush=True)

        while not stopping:
            for service, process in zip(names, processes, strict=True):
                if process.poll() is not None:
                    print(f"{service} stopped unexpectedly (exit {process.returncode}); stopping all",
                          file=sys.stderr)
                    return 1
            time.sleep(0.3)
        print("\nstopping...", flush=True)
        return 0
    finally:
        stop_all(processes)


if __name__ == "__main__":
    sys.exit(main())
