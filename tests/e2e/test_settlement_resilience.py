"""Settlement when its peers fail or its deadline passes, over real HTTP between real processes:
nothing half-written, the serial given back, and a retry with the same serial settles.

Figures are docs/rules.md §8 example 1 (Yantai 2023, resident, 低保)."""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal as D

import pytest

from tests.e2e.conftest import Platform, fetch, person_year_locked, wait_until_waiting_for_locks
from tests.e2e.settlement_support import EXAMPLE_1, EXAMPLE_2, beneficiary, funds, ledger_balances, settle

pytestmark = pytest.mark.e2e
EXAMPLE_1_FUNDS = (D("26520"), D("7462.00"), D("8814.40"), D("0"), D("7203.60"))


def written(platform: Platform, id_number: str) -> tuple[list[dict], list[dict]]:  # type: ignore[type-arg]
    """(settlement rows, ledger entries) of the person."""
    database = platform.databases["settlement"]
    return (fetch(database, "SELECT his_serial, status FROM settlements WHERE id_number = $1", id_number),
            fetch(database, "SELECT entry_no FROM ledger_entries WHERE id_number = $1", id_number))


@pytest.fixture
def settlement_with(platform: Platform) -> Iterator[object]:
    """settlement_with(SETTLEMENT_...="...") restarts settlement with those settings; back to the
    platform's own at the end of the test."""
    yield lambda **settings: platform.restart_service("settlement", **settings)
    platform.restart_service("settlement")


@pytest.mark.parametrize("peer", ["registry", "assistance"])  # asked before the calculation / after the claim
def test_a_peer_down_is_503_writes_nothing_and_gives_the_serial_back(platform: Platform, auth, peer: str) -> None:  # type: ignore[no-untyped-def]
    id_number = beneficiary(platform, auth, "minimum_allowance")
    serial = f"{peer.upper()}-DOWN-1"
    platform.stop_service(peer)
    try:
        refused = settle(platform, auth, id_number, serial, EXAMPLE_1)
        assert refused.status_code == 503 and refused.json()["code"] == "peer_unavailable", refused.text
        assert "retry-after" in refused.headers
        assert written(platform, id_number) == ([], [])
    finally:
        platform.restart_service(peer)
    settled = settle(platform, auth, id_number, serial, EXAMPLE_1)
    assert settled.status_code == 201, settled.text
    assert funds(settled.json()) == EXAMPLE_1_FUNDS
    assert written(platform, id_number)[0] == [{"his_serial": serial, "status": "settled"}]
    # Both attempts claimed the serial (each claim audits the look-up it leads to); the first gave it back.
    assert fetch(platform.databases["settlement"], "SELECT reference FROM person_lookups WHERE id_number = $1",
                 id_number) == [{"reference": serial}] * 2


def test_a_settlement_past_its_deadline_is_503_and_gives_the_serial_back(  # type: ignore[no-untyped-def]
    platform: Platform, auth, settlement_with,
) -> None:
    settlement_with(SETTLEMENT_SETTLEMENT_DEADLINE_SECONDS="1")
    id_number = beneficiary(platform, auth, "minimum_allowance")
    assert settle(platform, auth, id_number, "DEADLINE-1", EXAMPLE_1).status_code == 201
    with person_year_locked(platform.databases["settlement"], id_number):  # the record cannot finish
        late = settle(platform, auth, id_number, "DEADLINE-2", EXAMPLE_2)
        assert late.status_code == 503 and late.json()["code"] == "settlement_timeout", late.text
        assert late.headers["retry-after"] == "1"
    settlements, entries = written(platform, id_number)
    assert settlements == [{"his_serial": "DEADLINE-1", "status": "settled"}] and len(entries) == 8
    again = settle(platform, auth, id_number, "DEADLINE-2", EXAMPLE_2)
    assert again.status_code == 201, again.text
    assert funds(again.json()) == (D("60000"), D("32500.00"), D("14000.00"), D("492.52"), D("13007.48"))


def test_a_person_settled_concurrently_past_the_attempts_is_503_person_busy(  # type: ignore[no-untyped-def]
    platform: Platform, auth, settlement_with,
) -> None:
    settlement_with(SETTLEMENT_MAX_ATTEMPTS="1")
    id_number = beneficiary(platform, auth, "minimum_allowance")
    assert settle(platform, auth, id_number, "BUSY-0", EXAMPLE_1).status_code == 201
    database = platform.databases["settlement"]
    # Both read the same balances, then wait at their record: the one recorded second finds them
    # moved, and with one attempt allowed gives up.
    with ThreadPoolExecutor(2) as pool, person_year_locked(database, id_number):
        sent = [pool.submit(settle, platform, auth, id_number, f"BUSY-{n}", EXAMPLE_1) for n in (1, 2)]
        wait_until_waiting_for_locks(database, 2)
    answers = sorted((f.result() for f in sent), key=lambda r: r.status_code)
    assert [a.status_code for a in answers] == [201, 503], [a.text for a in answers]
    busy = answers[1]
    assert busy.json()["code"] == "person_busy" and busy.headers["retry-after"] == "1"
    serial = "BUSY-2" if answers[0].json()["his_serial"] == "BUSY-1" else "BUSY-1"
    assert sorted(r["his_serial"] for r in written(platform, id_number)[0]) == sorted({"BUSY-0", "BUSY-1",
                                                                                       "BUSY-2"} - {serial})
    assert settle(platform, auth, id_number, serial, EXAMPLE_1).status_code == 201  # the serial was given back
    balances, sums = ledger_balances(platform, id_number)
    assert balances["admissions"] == 3 and all(balances[name] == sums.get(name, D(0)) for name in sums)
