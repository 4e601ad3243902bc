"""`make run`'s launcher on a bare machine's default: SQLite files, migrated, seeded, stoppable."""

import os
import queue
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import jwt
import pytest

from tests.support.ports import free_ports

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def _consecutive_free_ports(count: int) -> int:
    for base in sorted(free_ports(8)):
        if base + count < 65535:
            try:
                sockets = []
                for port in range(base, base + count):
                    s = socket.socket()
                    sockets.append(s)
                    s.bind(("127.0.0.1", port))
                return base
            except OSError:
                continue
            finally:
                for s in sockets:
                    s.close()
    raise RuntimeError("no run of free ports")


def _received_types(database: Path, count: int, seconds: float = 30, handled: bool = False) -> dict[str, int]:
    """The types of the changes settlement's worker recorded (`handled`: and took up), once it has
    `count` of them."""
    deadline = time.monotonic() + seconds
    query = "SELECT type FROM received_changes" + (" WHERE handled_at IS NOT NULL" if handled else "")
    while True:
        with sqlite3.connect(database) as connection:
            types = [t for (t,) in connection.execute(query)]
        if len(types) >= count or time.monotonic() > deadline:
            return dict(Counter(types))
        time.sleep(0.2)


def test_make_run_serves_the_four_services_on_sqlite_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    base = _consecutive_free_ports(4)
    env = {k: v for k, v in os.environ.items() if not k.endswith("_DATABASE_URL") and not k.endswith("BROKER_URL")}
    launcher = subprocess.Popen(
        [sys.executable, "-m", "deploy.run_local", "--var-dir", str(tmp_path), "--base-port", str(base)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    output = ""
    try:
        assert launcher.stdout is not None
        deadline = time.monotonic() + 90
        lines: queue.Queue[str] = queue.Queue()
        stdout = launcher.stdout
        threading.Thread(target=lambda: [lines.put(line) for line in stdout], daemon=True).start()
        while "Try:" not in output and time.monotonic() < deadline:
            try:
                output += lines.get(timeout=0.5)
            except queue.Empty:
                if launcher.poll() is not None:
                    break
        assert "Try:" in output, output
        urls = re.findall(r"http://127\.0\.0\.1:\d+/docs", output)
        assert len(urls) == 4
        for url in urls:
            assert httpx.get(url).status_code == 200
        ops_token = re.search(r"  ops:\n\s+(\S+)", output).group(1)  # type: ignore[union-attr]
        eligibility = httpx.get(
            f"http://127.0.0.1:{base}/v1/persons/370602199001011239/eligibility",
            params={"on": "2023-06-01"}, headers={"Authorization": f"Bearer {ops_token}"},
        )
        assert eligibility.status_code == 200
        assert [i["category"] for i in eligibility.json()["identities"]] == ["minimum_allowance"]
        def hospitals_of(region_code: str) -> dict:  # type: ignore[type-arg]
            return httpx.get(f"http://127.0.0.1:{base + 1}/v1/hospitals", params={"region_code": region_code},
                             headers={"Authorization": f"Bearer {ops_token}"}).json()

        assert hospitals_of("370600")["total"] == 231
        # the catalog seed's Tai'erzhuang fixtures, designated by their agreements, named as sample data
        fixtures = hospitals_of("370405")["items"]
        assert [(h["code"], h["designated"]) for h in fixtures] == [("990405001", True), ("990405002", True)]
        assert all("示例数据，非真实机构" in h["name"] for h in fixtures)
        his_token = re.search(r"  his \(hospital 060001[^\n]*\n\s+(\S+)", output).group(1)  # type: ignore[union-attr]
        his_claims = jwt.decode(his_token, options={"verify_signature": False})
        assert (his_claims["exp"] - his_claims["iat"], his_claims["aud"]) == (24 * 3600, ["catalog", "settlement"])
        statement = httpx.post(f"http://127.0.0.1:{base + 3}/v1/settlements", headers={
            "Authorization": f"Bearer {his_token}"}, timeout=30, json={
            "his_serial": "SMOKE-1", "hospital_code": "060001", "id_number": "370602199001011239",
            "insurance_type": "resident", "medical_type": "inpatient", "admitted_on": "2023-03-01",
            "discharged_on": "2023-03-20", "bill": {"total": "50000", "full_self_pay": "3000",
                                                    "pre_self_pay": "2000", "basic_insurance_paid": "26520"}})
        assert statement.status_code == 201, statement.text
        assert [f["amount"] for f in statement.json()["funds"]] == ["26520.00", "7462.00", "8814.40", "0.00"]
        assert statement.json()["personal_share"] == "7203.60"  # docs/rules.md §8 example 1
        # A full 低保 list of 芝罘区 on SQLite: 张三 stays, nobody else holds it there.
        listed = httpx.post(f"http://127.0.0.1:{base}/v1/imports", headers={"Authorization": f"Bearer {ops_token}"},
                            timeout=30, json={
            "batch_id": "SMOKE-LIST", "category": "minimum_allowance", "mode": "full", "region_code": "370602",
            "list_date": "2023-06-10", "document_number": "芝民〔2023〕6月", "rows": [
                {"id_number": "370602199001011239", "name": "张三", "region_code": "370602"}]})
        assert listed.status_code == 200, listed.text
        assert (listed.json()["unchanged"], listed.json()["ended"], listed.json()["rejected"]) == (1, 0, 0)
        assert sorted(p.name for p in tmp_path.glob("*.db")) == ["catalog.db", "registry.db", "settlement.db"]
        # Settlement's worker took registry's changes: the seed's 5 registrations and 4 identities.
        # registry's changes of the seed, and the settlement above from settlement's own feed
        assert _received_types(tmp_path / "settlement.db", 10) == {
            "enrolment.registered": 5, "identity.added": 4, "settlement.settled": 1}
        assert _received_types(tmp_path / "settlement.db", 10, handled=True) == {  # taken up by the corrections
            "enrolment.registered": 5, "identity.added": 4, "settlement.settled": 1}
    finally:
        launcher.send_signal(signal.SIGINT)
        assert launcher.wait(timeout=30) == 0
    for port in range(base, base + 4):
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://127.0.0.1:{port}/healthz")


def test_a_port_in_use_stops_the_launcher_naming_it_before_any_token(tmp_path: Path) -> None:
    base = _consecutive_free_ports(4)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", base + 2))  # assistance's
        taken.listen()
        launcher = subprocess.run(
            [sys.executable, "-m", "deploy.run_local", "--var-dir", str(tmp_path), "--base-port", str(base)],
            cwd=ROOT, capture_output=True, text=True, timeout=60,
        )
    assert launcher.returncode != 0
    assert f"port {base + 2} (assistance) is already in use" in launcher.stderr, launcher.stderr
    assert "Demo tokens" not in launcher.stdout and "Traceback" not in launcher.stderr
    assert not list(tmp_path.glob("*.db"))  # stopped before migrating anything


def test_make_run_takes_a_base_port() -> None:
    dry_run = subprocess.run(["make", "-n", "run", "PORT=9100"], cwd=ROOT, capture_output=True, text=True, check=True)
    assert "-m deploy.run_local --base-port 9100" in dry_run.stdout, dry_run.stdout
    default = subprocess.run(["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True, check=True)
    assert "-m deploy.run_local --base-port 8101" in default.stdout, default.stdout
