"""Two settlement processes and two registry processes on the same PostgreSQL databases, each
settlement asking its own registry, the HIS requests spread across both: what holds for one
process holds across replicas (the services keep no state a replica would need to share).

Figures: docs/rules.md §8 example 1 (Yantai 2023, resident, 低保: assistance 8,814.40) and the
特困 annual caps (004 §三(六)1: assistance 30,000, re-assistance 20,000)."""

import itertools
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal as D

import httpx
import pytest

from shared.auth import Role
from tests.e2e.conftest import Platform, fetch
from tests.e2e.settlement_support import (
    EXAMPLE_1,
    beneficiary,
    funds,
    ledger_balances,
    settle,
    settled_exactly_once,
)
from tests.support.people import new_id_number

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def replicas(platform: Platform) -> Iterator[tuple[list[str], list[str]]]:
    """([settlement URLs], [registry URLs]): the platform's own and one more of each; the second
    settlement asks the second registry."""
    second_registry = platform.start_replica("registry")
    second_settlement = platform.start_replica("settlement", SETTLEMENT_REGISTRY_URL=second_registry)
    yield [platform.urls["settlement"], second_settlement], [platform.urls["registry"], second_registry]


def test_one_persons_caps_hold_across_replicas(platform: Platform, auth, replicas) -> None:  # type: ignore[no-untyped-def]
    settlements, _ = replicas
    id_number = beneficiary(platform, auth, "extreme_poverty")
    bill = {"total": "20000", "basic_insurance_paid": "12000"}  # R = 8,000 each
    serials = [f"REPLICA-CAP-{i}" for i in range(30)]
    where = dict(zip(serials, itertools.cycle(settlements), strict=False))

    def one(serial: str) -> httpx.Response:
        return settle(platform, auth, id_number, serial, bill, at=where[serial])

    with ThreadPoolExecutor(12) as pool:
        answers = dict(zip(serials, pool.map(one, serials), strict=True))
    refused = {(a.status_code, a.json().get("code")) for a in answers.values() if a.status_code != 201}
    assert refused <= {(503, "person_busy")}, refused  # its serial given back: the retry settles
    settled = [a.json() if a.status_code == 201 else one(s).json() for s, a in answers.items()]
    assert sorted(s["his_serial"] for s in settled) == sorted(serials)
    balances, sums = ledger_balances(platform, id_number)
    assert balances["admissions"] == 30 and all(balances[name] == sums.get(name, D(0)) for name in sums)
    assert (balances["assistance_paid"], balances["re_assistance_paid"]) == (D("30000"), D("20000"))
    assert sum(funds(s)[2] for s in settled) == D("30000") and sum(funds(s)[3] for s in settled) == D("20000")


def test_the_same_serial_sent_to_both_replicas_settles_once(platform: Platform, auth, replicas) -> None:  # type: ignore[no-untyped-def]
    settlements, _ = replicas
    id_number = beneficiary(platform, auth, "minimum_allowance")
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda url: settle(platform, auth, id_number, "REPLICA-SAME", EXAMPLE_1, at=url),
                                settlements * 8))
    statements = [a for a in answers if a.status_code == 201]
    assert statements and all(a.content == statements[0].content for a in statements)
    assert all(a.status_code == 409 and a.json()["code"] == "settlement_in_progress"
               for a in answers if a.status_code != 201), [a.text for a in answers if a.status_code != 201]
    for url in settlements:  # either replica replays the statement the other stored
        replayed = settle(platform, auth, id_number, "REPLICA-SAME", EXAMPLE_1, at=url)
        assert replayed.headers["idempotent-replayed"] == "true" and replayed.content == statements[0].content
    [row] = fetch(platform.databases["settlement"], "SELECT id FROM settlements WHERE id_number = $1", id_number)
    assert row["id"] == statements[0].json()["settlement_id"]
    balances, sums = ledger_balances(platform, id_number)
    assert balances["assistance_paid"] == D("8814.40") == sums["assistance_paid"]


def test_a_settlement_cancelled_on_both_replicas_at_once_is_reversed_once(platform: Platform, auth, replicas) -> None:  # type: ignore[no-untyped-def]
    settlements, _ = replicas
    id_number = beneficiary(platform, auth, "minimum_allowance")
    settled = settle(platform, auth, id_number, "REPLICA-CANCEL", EXAMPLE_1, at=settlements[1]).json()
    his = auth(Role.HIS, hospital_code="060001")

    def cancel(url: str) -> httpx.Response:
        return httpx.post(f"{url}/v1/settlements/{settled['settlement_id']}/cancel", headers=his,
                          json={"reason": "费用录入有误"}, timeout=30)

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(cancel, settlements * 4))
    assert sorted(a.status_code for a in answers) == [200] + [409] * 7, [a.text for a in answers]
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"settlement_not_cancellable"}
    balances, sums = ledger_balances(platform, id_number)
    assert balances["assistance_paid"] == D("0") == sums["assistance_paid"]
    assert balances["admissions"] == 0


def test_the_same_person_registered_on_both_registry_replicas_at_once_is_one_person(auth, replicas) -> None:  # type: ignore[no-untyped-def]
    _, registries = replicas
    id_number = new_id_number()
    body = {"id_number": id_number, "name": "副本测试", "insurance_type": "resident", "region_code": "370602"}
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda url: httpx.post(f"{url}/v1/persons", headers=auth(Role.OPS), json=body),
                                registries * 4))
    assert sorted(a.status_code for a in answers) == [201] + [409] * 7
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"person_exists"}
    for url in registries:
        shown = httpx.get(f"{url}/v1/persons/{id_number}", headers=auth(Role.OPS))
        assert shown.status_code == 200 and shown.json()["name"] == "副本测试"


def test_a_rolling_restart_under_load_loses_and_doubles_nothing(platform: Platform, auth, replicas) -> None:  # type: ignore[no-untyped-def]
    """Four HIS clients settle 24 discharges through two replicas, as behind a load balancer: a
    request refused or dropped goes to the other replica with the same serial. Meanwhile the first
    replica is restarted (SIGTERM, its requests in flight finished, started again)."""
    settlements, _ = replicas
    people = [beneficiary(platform, auth, "minimum_allowance") for _ in range(24)]
    serials = {id_number: f"ROLLING-{i}" for i, id_number in enumerate(people)}
    failovers: list[str] = []

    def client(index: int) -> None:
        for id_number in people[index::4]:
            for attempt in range(40):  # bounded: a replica is back within seconds
                url = settlements[(index + attempt) % 2]
                try:
                    answer = settle(platform, auth, id_number, serials[id_number], EXAMPLE_1, at=url)
                except httpx.TransportError:
                    answer = None
                if answer is not None and answer.status_code == 201:
                    assert funds(answer.json())[2] == D("8814.40")
                    break
                assert answer is None or answer.status_code in (409, 503), answer.text
                failovers.append(answer.json()["code"] if answer is not None else "connection")
                time.sleep(0.1)
            else:
                raise AssertionError(f"{serials[id_number]} never settled")

    with ThreadPoolExecutor(4) as pool:
        clients = [pool.submit(client, i) for i in range(4)]
        time.sleep(0.5)  # under load
        platform.restart_service("settlement")
        for running in clients:
            running.result()
    assert set(failovers) <= {"connection", "shutting_down", "settlement_in_progress"}, failovers
    settled_exactly_once(platform, serials)
