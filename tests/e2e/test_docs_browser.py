"""Each running service's API docs in a real headless browser (Debian's chromium) that can reach
nothing but 127.0.0.1, as on a hospital network: Swagger UI (/docs) and ReDoc (/redoc) render
every operation, and every asset the pages name is served by the service itself. And the statement
the docs show is the one the platform gives for POLICY.md §8 example 1."""

import html
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from tests.e2e.conftest import Platform
from tests.e2e.test_settlement_flow import EXAMPLE_1, beneficiary, settle

pytestmark = pytest.mark.e2e
SERVICES = ("registry", "catalog", "assistance", "settlement")
_ASSET = re.compile(r'(?:src|href)="([^"]*)"')


def _install_chromium() -> str | None:
    """Debian's chromium, installed with apt-get where this runs as root (about a minute)."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return "chromium is not installed, and installing it needs root and apt-get"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "-o", "DPkg::Lock::Timeout=300", "chromium"]
    done = subprocess.run(install, env=env, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:  # a stale package list: refresh it once
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, timeout=600)
        done = subprocess.run(install, env=env, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        return f"apt-get install chromium failed: {done.stderr.strip()[-500:]}"
    return None


@pytest.fixture(scope="module")
def chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        why = _install_chromium()
        found = shutil.which("chromium")
        if found is None:
            pytest.skip(f"no headless browser for the docs test: {why or 'chromium not on PATH after install'}")
    return found


@pytest.fixture(scope="module")
def browse(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator:  # type: ignore[type-arg]
    profile: Path = tmp_path_factory.mktemp("chromium-profile")

    def dom(url: str) -> str:
        """The page as rendered after its scripts ran; every host but 127.0.0.1 fails to resolve, so
        a page that needs a CDN cannot render."""
        done = subprocess.run([
            chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--virtual-time-budget=15000", "--dump-dom", url,
        ], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    yield dom


def _operations(base: str) -> list[dict]:  # type: ignore[type-arg]
    spec = httpx.get(f"{base}/openapi.json").json()
    return [operation for item in spec["paths"].values() for operation in item.values()]


def _assets_are_served_here(base: str, page: str) -> None:
    served = httpx.get(f"{base}{page}")
    assert served.status_code == 200
    assets = _ASSET.findall(served.text)
    assert assets, "the page names no script or style"
    for asset in assets:
        assert asset.startswith("/") and not asset.startswith("//"), f"{page} loads {asset} from elsewhere"
        assert httpx.get(f"{base}{asset}").status_code == 200, asset


@pytest.mark.parametrize("service", SERVICES)
def test_swagger_ui_renders_every_operation_offline(platform: Platform, browse, service: str) -> None:  # type: ignore[no-untyped-def]
    base = platform.urls[service]
    _assets_are_served_here(base, "/docs")
    dom = browse(f"{base}/docs")
    rendered = {html.unescape(s) for s in re.findall(r'class="opblock-summary-description"[^>]*>([^<]*)<', dom)}
    assert 'class="opblock opblock-' in dom
    assert rendered == {operation["summary"] for operation in _operations(base)}
    assert "存活探针 (liveness)" in rendered


@pytest.mark.parametrize("service", SERVICES)
def test_redoc_renders_every_operation_offline(platform: Platform, browse, service: str) -> None:  # type: ignore[no-untyped-def]
    base = platform.urls[service]
    _assets_are_served_here(base, "/redoc")
    dom = browse(f"{base}/redoc")
    rendered = set(re.findall(r'data-section-id="operation/([^"]+)"', dom))
    assert rendered == {operation["operationId"] for operation in _operations(base)}
    assert "存活探针 (liveness)" in html.unescape(dom)


def test_both_pages_show_the_settlement_examples(platform: Platform, browse) -> None:  # type: ignore[no-untyped-def]
    base = platform.urls["settlement"]
    settle = httpx.get(f"{base}/openapi.json").json()["paths"]["/v1/settlements"]["post"]
    # a deep link opens the operation, with its request, statement and problem examples
    swagger = html.unescape(browse(f"{base}/docs#/{quote(settle['tags'][0])}/{settle['operationId']}"))
    assert "ZY20230320-0001" in swagger and '"7203.60"' in swagger and "hospital_mismatch" in swagger
    assert '"7203.60"' in html.unescape(browse(f"{base}/redoc"))


def test_the_documented_statement_is_what_the_platform_settles(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    spec = httpx.get(f"{platform.urls['settlement']}/openapi.json").json()
    [documented] = spec["components"]["schemas"]["Statement"]["examples"]
    answer = settle(platform, auth, beneficiary(platform, auth, "minimum_allowance"), "ZY20230320-0001", EXAMPLE_1)
    assert answer.status_code == 201, answer.text
    statement = answer.json()
    trace = [{k: v for k, v in step.items() if v is not None} for step in statement["trace"]]
    per_request = ("settlement_id", "id_number", "settled_at")
    assert {**statement, "trace": trace} | {k: documented[k] for k in per_request} == documented
