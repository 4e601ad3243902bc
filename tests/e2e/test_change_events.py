"""Change events between real processes on PostgreSQL: a registry identity change reaches settlement's
worker over registry's feed (HTTP, service tokens), recorded once even when delivered again; and a
settlement's own settled event is served by settlement's feed."""

import time
from collections.abc import Callable
from datetime import date

import httpx
import pytest

from shared.auth import Role
from shared.id_number import mask
from tests.e2e.conftest import Platform, fetch
from tests.e2e.settlement_support import EXAMPLE_1, beneficiary, settle

pytestmark = pytest.mark.e2e


Rows = list[dict[str, object]]


def _eventually(read: Callable[[], Rows], count: int, seconds: float = 30) -> Rows:
    deadline = time.monotonic() + seconds
    while True:
        rows = read()
        if len(rows) >= count or time.monotonic() > deadline:
            assert len(rows) == count, rows
            return rows
        time.sleep(0.2)


def test_an_identity_change_reaches_settlements_worker_once(platform_with_worker: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    platform, database = platform_with_worker, platform_with_worker.databases["settlement"]
    id_number = beneficiary(platform, auth, "minimum_allowance", approved_on="2022-12-10")
    identities = f"{platform.urls['registry']}/v1/persons/{id_number}/identities"
    [identity] = httpx.get(identities, headers=auth(Role.OPS)).json()
    ended = httpx.post(f"{identities}/{identity['identity_id']}/end", headers=auth(Role.OPS),
                       json={"ended_on": "2023-02-15", "reason": "收入超标"})
    assert ended.status_code == 200, ended.text

    def received() -> list[dict[str, object]]:
        return fetch(database, "SELECT event_id, type, effective_from, effective_until FROM received_changes "
                     "WHERE id_number = $1 ORDER BY event_id", id_number)

    rows = _eventually(received, 3)
    assert [(r["type"], r["effective_from"], r["effective_until"]) for r in rows] == [
        ("enrolment.registered", date(1900, 1, 1), None),  # registered without insured_from: insured since ever
        ("identity.added", date(2023, 1, 1), None),  # approved 2022-12-10: counts from January
        ("identity.ended", date(2023, 3, 1), None),  # ended 2023-02-15: stops counting from March
    ]
    log = (platform.var_dir / "settlement-worker.log").read_text()
    assert id_number not in log and mask(id_number) in log

    # At least once, applied once: with its cursor set back, the worker takes every event again
    [cursor] = fetch(database, "SELECT position FROM feed_cursors WHERE name = 'registry'")
    total = fetch(database, "SELECT count(*) AS n FROM received_changes")[0]["n"]
    fetch(database, "UPDATE feed_cursors SET position = 0 WHERE name = 'registry' RETURNING position")
    _eventually(lambda: fetch(database, "SELECT position FROM feed_cursors WHERE name = 'registry' AND position >= $1",
                              cursor["position"]), 1)
    assert received() == rows
    assert fetch(database, "SELECT count(*) AS n FROM received_changes")[0]["n"] == total


def test_a_settlement_is_served_on_settlements_own_feed(platform_with_worker: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    platform = platform_with_worker
    id_number = beneficiary(platform, auth, "minimum_allowance")
    statement = settle(platform, auth, id_number, "EVENT-1", EXAMPLE_1)
    assert statement.status_code == 201, statement.text
    feed = f"{platform.urls['settlement']}/v1/changes"
    assert httpx.get(feed, headers=auth(Role.HIS, hospital_code="060001")).status_code == 403

    def settled() -> list[dict[str, object]]:
        page = httpx.get(feed, params={"limit": 1000}, headers=auth(Role.SERVICE, audience=["settlement"])).json()
        return [e for e in page["changes"] if e["id_number"] == id_number]

    [event] = _eventually(settled, 1)
    assert (event["type"], event["effective_from"], event["effective_until"]) == (
        "settlement.settled", "2023-03-20", "2023-03-21")
    # docs/rules.md §8 example 1: basic 26520.00, critical illness 7462.00, assistance 8814.40, own 7203.60
    assert {k: event["after"][k] for k in ("settlement_id", "total", "basic_insurance", "critical_illness",
                                            "assistance", "re_assistance", "personal_share")} == {
        "settlement_id": statement.json()["settlement_id"], "total": "50000.00", "basic_insurance": "26520.00",
        "critical_illness": "7462.00", "assistance": "8814.40", "re_assistance": "0.00", "personal_share": "7203.60"}
