"""What the settlement e2e tests share: persons in the registry, a district hospital registered by
ops, discharges posted as a HIS, the figures of a statement and of the ledger, the worker caught up
with a person's registry changes."""

import random
import time
from decimal import Decimal as D

import httpx

from shared.auth import Role
from tests.e2e.conftest import Platform, fetch
from tests.support.people import new_id_number

EXAMPLE_1 = {"total": "50000", "full_self_pay": "3000", "pre_self_pay": "2000", "basic_insurance_paid": "26520"}
EXAMPLE_2 = {"total": "120000", "full_self_pay": "5000", "pre_self_pay": "5000", "basic_insurance_paid": "60000"}


def beneficiary(platform: Platform, auth, category: str | None, approved_on: str = "2022-12-10",  # type: ignore[no-untyped-def]
                region_code: str = "370602") -> str:
    id_number = new_id_number()
    headers = auth(Role.OPS)
    registry = platform.urls["registry"]
    assert httpx.post(f"{registry}/v1/persons", headers=headers, json={
        "id_number": id_number, "name": "结算测试", "insurance_type": "resident", "region_code": region_code,
    }).status_code == 201
    if category:
        assert httpx.post(f"{registry}/v1/persons/{id_number}/identities", headers=headers, json={
            "category": category, "document_number": "测试〔2022〕1号", "approved_on": approved_on,
        }).status_code == 201
    return id_number


def settle_body(id_number: str, serial: str, bill: dict, **extra) -> dict:  # type: ignore[type-arg]
    return {
        "his_serial": serial, "hospital_code": "060001", "id_number": id_number, "insurance_type": "resident",
        "medical_type": "inpatient", "admitted_on": "2023-03-01", "discharged_on": "2023-03-20", "bill": bill,
    } | extra


def settle(platform: Platform, auth, id_number: str, serial: str, bill: dict, at: str | None = None, **extra):  # type: ignore[no-untyped-def]
    """POST the discharge to the platform's settlement, or to the settlement process at URL `at`."""
    body = settle_body(id_number, serial, bill, **extra)
    headers = auth(Role.HIS, hospital_code=body["hospital_code"])
    return httpx.post(f"{at or platform.urls['settlement']}/v1/settlements", json=body, headers=headers, timeout=30)


def funds(statement: dict) -> tuple[D, ...]:
    by_code = {}
    for line in statement["funds"]:
        by_code.setdefault(line["label"], D(line["amount"]))
    return (
        by_code["基本医保统筹基金"], by_code["大病保险"], by_code["医疗救助"], by_code["医疗救助（再救助）"],
        D(statement["personal_share"]),
    )


def ledger_balances(platform: Platform, id_number: str) -> tuple[dict, dict]:
    """(person-year balances, sums of ledger entries) read straight from the settlement database."""
    database = platform.databases["settlement"]
    [row] = fetch(database, "SELECT * FROM person_years WHERE id_number = $1", id_number)
    sums = fetch(database, "SELECT accumulator, sum(amount) AS total FROM ledger_entries "
                 "WHERE id_number = $1 GROUP BY 1", id_number)
    return row, {r["accumulator"]: r["total"] for r in sums}


def register_taierzhuang_hospital(platform: Platform, auth) -> tuple[str, int]:  # type: ignore[no-untyped-def]
    """A fixture hospital (no real one: the district's plan names none) with an agreement covering
    one-stop settlement from 2017-05-01, signed through the workflow: (code, agreement id)."""
    code = f"99{random.randrange(10**7):07d}"  # nine digits from 99: fixture codes (real ones have six)
    catalog, ops = platform.urls["catalog"], auth(Role.OPS)
    registered = httpx.post(f"{catalog}/v1/hospitals", headers=ops, json={
        "code": code, "name": f"台儿庄区测试医院{code}（示例数据，非真实机构）", "region_code": "370405",
        "ownership": "公立", "level": "level_2", "kind": "general", "effective_from": "2017-01-01",
        "reason": "台儿庄区定点 (Tai'erzhuang designated)",
    })
    assert registered.status_code == 201, registered.text
    base = f"{catalog}/v1/hospitals/{code}/applications"
    application = httpx.post(base, headers=ops, json={
        "services": ["one_stop_assistance"], "applied_on": "2017-03-01"}).json()
    for step, body in [("evaluation", {"evaluated_on": "2017-03-20", "evaluation": "合格 (passed)"}),
                       ("notice", {"notice_from": "2017-03-27"})]:
        assert httpx.post(f"{base}/{application['id']}/{step}", headers=ops, json=body).status_code == 200
    agreement = httpx.post(f"{base}/{application['id']}/signing", headers=ops, json={
        "signed_on": "2017-04-20", "number": f"台测协-{code}", "starts_on": "2017-05-01"})
    assert agreement.status_code == 200, agreement.text
    return code, agreement.json()["id"]


def settled_exactly_once(platform: Platform, serials: dict[str, str]) -> None:
    """Each person (id number → serial) settled once, with docs/rules.md §8 example 1: one settled
    row, the ledger's assistance 8,814.40 (a double would show 17,628.80)."""
    database = platform.databases["settlement"]
    entries_per_person = set()
    for id_number, serial in serials.items():
        rows = fetch(database, "SELECT his_serial, status FROM settlements WHERE id_number = $1", id_number)
        assert rows == [{"his_serial": serial, "status": "settled"}]
        balances, sums = ledger_balances(platform, id_number)
        assert balances["assistance_paid"] == D("8814.40") == sums["assistance_paid"], id_number
        [count] = fetch(database, "SELECT count(*) AS n FROM ledger_entries WHERE id_number = $1", id_number)
        entries_per_person.add(count["n"])
    assert len(entries_per_person) == 1, "one settlement's entries for every person"


def registry_changes_taken_up(platform: Platform, id_number: str) -> None:
    """Wait until settlement's worker has received and handled every registry change of the person, so
    that what follows is proposed for its own event (under load the worker can lag behind the test)."""
    deadline = time.monotonic() + 40
    while True:
        [written] = fetch(platform.databases["registry"],
                          "SELECT count(*) AS n FROM change_events WHERE id_number = $1", id_number)
        [taken_up] = fetch(platform.databases["settlement"],
                           "SELECT count(*) AS n FROM received_changes WHERE source = 'registry' "
                           "AND id_number = $1 AND handled_at IS NOT NULL", id_number)
        if taken_up["n"] >= written["n"] or time.monotonic() > deadline:
            assert taken_up["n"] == written["n"], (written, taken_up)
            return
        time.sleep(0.2)


def batch_when(platform: Platform, auth, batch_id: str, until) -> dict:  # type: ignore[no-untyped-def, type-arg]
    """The recalculation batch once `until(batch)` holds (within a minute)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        batch = httpx.get(f"{platform.urls['settlement']}/v1/recalculations/{batch_id}", headers=auth(Role.OPS)).json()
        if until(batch):
            return batch
        time.sleep(0.2)
    raise AssertionError(f"batch {batch_id} never got there: {batch}")


def restart_then_resume(platform: Platform, auth, batch_id: str) -> dict:  # type: ignore[no-untyped-def, type-arg]
    """A batch whose process crashed: a restarted settlement takes it up by itself (and, as set here,
    stops again after one chunk), then `:resume` finishes it. The batch once calculated."""
    platform.restart_service("settlement", SETTLEMENT_RECALCULATION_CHUNK_ROWS="1",
                             SETTLEMENT_RECALCULATION_STOP_AFTER_CHUNKS="1")
    batch_when(platform, auth, batch_id, lambda batch: batch["chunks_done"] == 2)
    time.sleep(0.5)
    resumed = httpx.post(f"{platform.urls['settlement']}/v1/recalculations/{batch_id}:resume", headers=auth(Role.OPS))
    assert resumed.status_code == 202, resumed.text
    return batch_when(platform, auth, batch_id, lambda batch: batch["status"] == "calculated")
