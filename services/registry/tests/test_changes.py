"""The registry's change events: every write path of enrolment, identity, grant and filing writes its
event with the change (a refused change writes none), served in commit order to services only; and
on PostgreSQL a transaction that drew a lower key but commits later is never skipped."""

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from httpx import AsyncClient
from sqlalchemy import func, select

from services.registry.changes.models import ChangeEventRow
from shared.auth import Role
from shared.db import Database, driver_dsn
from shared.outbox import ChangeFeed
from tests.support.feeds import served
from tests.support.people import new_id_number

pytestmark = pytest.mark.asyncio(loop_scope="session")
CIVIL = {"agency": "civil_affairs"}


async def _changes_of(client: AsyncClient, auth, id_number: str, count: int) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """The person's events as the feed serves them, once it serves `count` of them."""
    await _all_served(client)
    response = await client.get("/v1/changes", params={"limit": 1000}, headers=auth(Role.SERVICE))
    assert response.status_code == 200, response.text
    page = response.json()
    events = [e for e in page["changes"] if e["id_number"] == id_number]
    assert len(events) == count, [e["type"] for e in events]
    assert [e["id"] for e in page["changes"]] == sorted(e["id"] for e in page["changes"])
    assert page["next_after"] == page["changes"][-1]["id"]
    return [{k: e[k] for k in ("type", "effective_from", "effective_until")} for e in events]


async def _all_served(client: AsyncClient) -> None:
    """Until the feed serves every event written so far."""
    feed: ChangeFeed = client._transport.app.state.change_feed  # type: ignore[attr-defined]
    async with feed.database.autocommit.connect() as connection:
        written = int(await connection.scalar(select(func.count()).select_from(feed.table)))
    await served(feed, written)


async def test_each_write_path_writes_its_event_with_the_change(client: AsyncClient, auth) -> None:  # type: ignore[no-untyped-def]
    id_number, civil, ops = new_id_number(), auth(Role.AGENCY, **CIVIL), auth(Role.OPS)
    person = f"/v1/persons/{id_number}"
    assert (await client.post("/v1/persons", headers=ops, json={
        "id_number": id_number, "name": "事件测试", "insurance_type": "resident", "region_code": "370602",
        "insured_from": "2020-01-01"})).status_code == 201
    added = await client.post(f"{person}/identities", headers=civil, json={
        "category": "minimum_allowance", "document_number": "芝民〔2023〕5号", "approved_on": "2023-02-20"})
    key = added.json()["identity_id"]
    overlapping = await client.post(f"{person}/identities", headers=civil, json={
        "category": "minimum_allowance", "document_number": "芝民〔2023〕9号", "approved_on": "2023-04-01"})
    assert overlapping.status_code == 409  # refused: no event
    assert (await client.post(f"{person}/identities/{key}/corrections", headers=civil, json={
        "approved_on": "2023-01-20", "reason": "认定日期录入错误"})).status_code == 200
    assert (await client.post(f"{person}/identities/{key}/end", headers=civil, json={
        "ended_on": "2023-06-10", "reason": "收入超标"})).status_code == 200
    assert (await client.patch(person, headers=ops, json={"name": "事件测试乙", "reason": "更名"})).status_code == 200
    application = await client.post(f"{person}/illness-poverty-applications", headers=civil,
                                    json={"applied_on": "2023-06-15"})
    approve = f"{person}/illness-poverty-applications/{application.json()['application_id']}/approve"
    assert (await client.post(approve, headers=civil, json={
        "decided_on": "2023-07-03", "document_number": "芝民因病〔2023〕7号"})).status_code == 200
    assert (await client.post(f"{person}/insurance", headers=ops, json={
        "status": "suspended", "insurance_type": "resident", "effective_from": "2023-09-01",
        "reason": "欠费暂停"})).status_code == 201
    filed = await client.post(f"{person}/out-of-region-filings", headers=ops, json={
        "kind": "long_term_residence", "destination_region_code": "110100", "filed_on": "2023-03-01",
        "documents_received": ["identity_card"], "personal_commitment": True})
    assert filed.status_code == 201, filed.text
    valid_until = filed.json()["valid_until"]
    assert (await client.post(f"{person}/out-of-region-filings/{filed.json()['filing_id']}/end", headers=ops,
                              json={"last_day": "2023-06-30", "reason": "回烟台居住"})).status_code == 200

    assert valid_until is None  # a long-term residence filing runs until ended
    assert await _changes_of(client, auth, id_number, 8) == [
        {"type": "enrolment.registered", "effective_from": "2020-01-01", "effective_until": None},
        # approved 2023-02-20: counts from March (the next-month rule)
        {"type": "identity.added", "effective_from": "2023-03-01", "effective_until": None},
        # approved_on corrected to 2023-01-20: February now counts too, and only February changed
        {"type": "identity.corrected", "effective_from": "2023-02-01", "effective_until": "2023-03-01"},
        # ended 2023-06-10: stops counting from July
        {"type": "identity.ended", "effective_from": "2023-07-01", "effective_until": None},
        # applied 2023-06-15, approved 2023-07-03: from June 2022 (12 months back) to the end of 2023
        {"type": "grant.approved", "effective_from": "2022-06-01", "effective_until": "2024-01-01"},
        {"type": "enrolment.changed", "effective_from": "2023-09-01", "effective_until": None},
        {"type": "out_of_region_filing.filed", "effective_from": "2023-03-01", "effective_until": None},
        # last day 2023-06-30: from July the filing no longer covers
        {"type": "out_of_region_filing.ended", "effective_from": "2023-07-01", "effective_until": None},
    ]


async def test_an_event_carries_the_state_before_and_after(client: AsyncClient, auth) -> None:  # type: ignore[no-untyped-def]
    id_number, civil = new_id_number(), auth(Role.AGENCY, **CIVIL)
    assert (await client.post("/v1/persons", headers=auth(Role.OPS), json={
        "id_number": id_number, "name": "前后", "insurance_type": "resident", "region_code": "370602"})
            ).status_code == 201
    key = (await client.post(f"/v1/persons/{id_number}/identities", headers=civil, json={
        "category": "extreme_poverty", "document_number": "芝民〔2023〕1号", "approved_on": "2023-01-05"})
           ).json()["identity_id"]
    await client.post(f"/v1/persons/{id_number}/identities/{key}/end", headers=civil, json={"ended_on": "2023-05-31"})
    await _all_served(client)
    page = (await client.get("/v1/changes", params={"limit": 1000}, headers=auth(Role.SERVICE))).json()
    ended = [e for e in page["changes"] if e["id_number"] == id_number][-1]
    assert ended["type"] == "identity.ended"
    assert (ended["before"]["effective_until"], ended["after"]["effective_until"]) == (None, "2023-06-01")
    assert ended["after"]["category"] == "extreme_poverty" and ended["after"]["identity_id"] == key


async def test_the_feed_is_for_services_only(client: AsyncClient, auth) -> None:  # type: ignore[no-untyped-def]
    for role in (Role.OPS, Role.AGENCY):
        refused = await client.get("/v1/changes", headers=auth(role))
        assert refused.status_code == 403 and refused.json()["code"] == "role_not_allowed"
    bad = await client.get("/v1/changes", params={"after": -1}, headers=auth(Role.SERVICE))
    assert bad.status_code == 422


@pytest.fixture
async def outbox(migrated_database: Callable[[str], str]) -> AsyncIterator[tuple[ChangeFeed, str]]:
    url = migrated_database("registry")
    database = Database(url)
    yield ChangeFeed(database, ChangeEventRow.__table__), driver_dsn(url)
    await database.dispose()


_WRITE = ("INSERT INTO change_events (type, id_number, effective_from, occurred_at) "
          "VALUES ($1, '370602199001011239', '2023-03-01', $2) RETURNING seq")


async def test_a_lower_key_committed_later_is_not_skipped(outbox: tuple[ChangeFeed, str]) -> None:
    """The gap: T1 draws seq 1 and stays open; T2 draws seq 2 and commits. A reader serving by key
    would hand out 2, move its cursor past 1, and never see 1. The feed serves nothing until T1
    ends, then both, and a reader holding any cursor it was given still gets T1's event."""
    feed, dsn = outbox
    first, second = await asyncpg.connect(dsn), await asyncpg.connect(dsn)
    try:
        first_transaction = first.transaction()
        await first_transaction.start()
        assert await first.fetchval(_WRITE, "identity.added", datetime.now(UTC)) == 1
        async with second.transaction():
            assert await second.fetchval(_WRITE, "identity.ended", datetime.now(UTC)) == 2
        assert await feed.page(0, 10) == []  # T2 is committed, but T1 could still come before it
        await first_transaction.commit()
        events = await served(feed, 2)
    finally:
        await first.close()
        await second.close()
    assert [(e.id, e.type) for e in events] == [(1, "identity.added"), (2, "identity.ended")]


async def test_a_rolled_back_change_leaves_no_gap_in_the_feed(outbox: tuple[ChangeFeed, str]) -> None:
    feed, dsn = outbox
    connection = await asyncpg.connect(dsn)
    try:
        transaction = connection.transaction()
        await transaction.start()
        await connection.fetchval(_WRITE, "identity.added", datetime.now(UTC))
        await transaction.rollback()
        async with connection.transaction():
            await connection.fetchval(_WRITE, "identity.ended", datetime.now(UTC))
    finally:
        await connection.close()
    [event] = await served(feed, 1)
    assert (event.id, event.type) == (1, "identity.ended")  # the feed's ids have no holes
