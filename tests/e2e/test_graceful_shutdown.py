"""SIGTERM to settlement, as Kubernetes sends it in a rolling restart, in the middle of a batch of
settlements: the process takes no new request, finishes those in flight within its grace period
(or, past it, cancels them: 503 shutting_down, their serials given back), and the HIS's retries with the same
serials after the restart settle each discharge exactly once.

Real processes on PostgreSQL. The settlements in flight are held at their record by a lock on the
ledger table the test takes, so that SIGTERM finds them mid-way. Each person is settled once with
docs/rules.md §8 example 1 (Yantai 2023, resident, 低保): assistance 8,814.40; a double would
show 17,628.80 in the ledger."""

import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal as D

import httpx
import pytest

from tests.e2e.conftest import Platform, fetch, held_lock, wait_until_waiting_for_locks
from tests.e2e.settlement_support import EXAMPLE_1, beneficiary, funds, settle, settled_exactly_once

pytestmark = pytest.mark.e2e
EXAMPLE_1_FUNDS = (D("26520"), D("7462.00"), D("8814.40"), D("0"), D("7203.60"))
LEDGER_LOCK = "LOCK TABLE ledger_entries IN SHARE MODE"  # a settlement waits at its record


@pytest.fixture
def settlement_with(platform: Platform) -> Iterator[object]:
    yield lambda **settings: platform.restart_service("settlement", **settings)
    platform.restart_service("settlement")


def attempt(platform: Platform, auth, id_number: str, serial: str) -> httpx.Response | None:  # type: ignore[no-untyped-def]
    """One HIS request: its answer, or None when the connection was refused or dropped."""
    try:
        return settle(platform, auth, id_number, serial, EXAMPLE_1)
    except httpx.TransportError:
        return None


def retry_after_restart(platform: Platform, auth, serials: dict[str, str], failed: set[str]) -> None:  # type: ignore[no-untyped-def]
    platform.restart_service("settlement")
    for id_number in failed:
        retried = settle(platform, auth, id_number, serials[id_number], EXAMPLE_1)
        assert retried.status_code == 201, retried.text
        assert "idempotent-replayed" not in retried.headers and funds(retried.json()) == EXAMPLE_1_FUNDS
    for id_number in set(serials) - failed:  # what was answered is kept: the retry replays it
        replayed = settle(platform, auth, id_number, serials[id_number], EXAMPLE_1)
        assert replayed.status_code == 201 and replayed.headers["idempotent-replayed"] == "true"


def test_sigterm_finishes_the_settlements_in_flight_and_refuses_new_ones(  # type: ignore[no-untyped-def]
    platform: Platform, auth, settlement_with,
) -> None:
    settlement_with(SETTLEMENT_SHUTDOWN_GRACE_SECONDS="20")
    people = [beneficiary(platform, auth, "minimum_allowance") for _ in range(10)]
    serials = {id_number: f"SIGTERM-{i}" for i, id_number in enumerate(people)}
    in_flight, after_sigterm = people[:6], people[6:]
    database = platform.databases["settlement"]
    process = platform.processes["settlement"]
    with ThreadPoolExecutor(len(people)) as pool:
        with held_lock(database, LEDGER_LOCK):
            first = {p: pool.submit(attempt, platform, auth, p, serials[p]) for p in in_flight}
            wait_until_waiting_for_locks(database, len(in_flight))
            process.send_signal(signal.SIGTERM)
            time.sleep(0.5)  # the server's event loop notices within 0.1 s and closes its socket
            late = {p: pool.submit(attempt, platform, auth, p, serials[p]) for p in after_sigterm}
            assert {p: f.result() for p, f in late.items()} == dict.fromkeys(after_sigterm), "a request after SIGTERM"
            assert process.poll() is None, "it waits for the settlements in flight"
        answers = {p: f.result() for p, f in first.items()}
    for answer in answers.values():
        assert answer is not None and answer.status_code == 201, answer and answer.text
        assert funds(answer.json()) == EXAMPLE_1_FUNDS
    assert process.wait(20) == -signal.SIGTERM  # uvicorn re-raises the signal once it has shut down
    retry_after_restart(platform, auth, serials, failed=set(after_sigterm))
    settled_exactly_once(platform, serials)


def test_past_the_grace_period_the_settlements_in_flight_give_their_serials_back(  # type: ignore[no-untyped-def]
    platform: Platform, auth, settlement_with,
) -> None:
    settlement_with(SETTLEMENT_SHUTDOWN_GRACE_SECONDS="1")
    people = [beneficiary(platform, auth, "minimum_allowance") for _ in range(4)]
    serials = {id_number: f"GRACE-PAST-{i}" for i, id_number in enumerate(people)}
    database = platform.databases["settlement"]
    process = platform.processes["settlement"]
    with ThreadPoolExecutor(len(people)) as pool, held_lock(database, LEDGER_LOCK):
        pending = {p: pool.submit(attempt, platform, auth, p, serials[p]) for p in people}
        wait_until_waiting_for_locks(database, len(people))
        process.send_signal(signal.SIGTERM)
        assert process.wait(15) == -signal.SIGTERM  # the lock is still held: they were cancelled
        for answer in (f.result() for f in pending.values()):
            assert answer is not None and answer.status_code == 503, answer and answer.text
            assert answer.json()["code"] == "shutting_down" and answer.headers["retry-after"] == "1"
    assert fetch(database, "SELECT his_serial FROM settlements WHERE his_serial = ANY($1::text[])",
                 list(serials.values())) == [], "every serial given back (no claim left for the lease)"
    retry_after_restart(platform, auth, serials, failed=set(people))
    settled_exactly_once(platform, serials)
