"""Every past state stays readable: identity versions, enrolment events, the audit log, and
eligibility on a date as the records stood at a past moment."""

import asyncio
from datetime import UTC, datetime

import pytest
from httpx import AsyncClient

from shared.auth import Role
from tests.support.people import new_id_number
from tests.support.timestamps import timestamps, without_offset

pytestmark = pytest.mark.asyncio(loop_scope="session")
CIVIL = {"agency": "civil_affairs"}


@pytest.fixture(scope="module")
def client(client_on_each_store: AsyncClient) -> AsyncClient:
    """Past states are read on both stores: SQLite hands back timestamps without their offset."""
    return client_on_each_store


async def _person(client: AsyncClient, auth, **extra) -> str:  # type: ignore[no-untyped-def]
    id_number = new_id_number()
    body = {"id_number": id_number, "name": "历史测试", "insurance_type": "resident", "region_code": "370602", **extra}
    assert (await client.post("/v1/persons", json=body, headers=auth(Role.OPS))).status_code == 201
    return id_number


async def _categories(client: AsyncClient, auth, id_number: str, on: str, at: str | None = None) -> list[str]:  # type: ignore[no-untyped-def]
    params = {"on": on} | ({"as_recorded_at": at} if at else {})
    response = await client.get(f"/v1/persons/{id_number}/eligibility", params=params, headers=auth(Role.SERVICE))
    assert response.status_code == 200, response.text
    return [i["category"] for i in response.json()["identities"]]


async def test_end_and_correct_keep_every_version(client: AsyncClient, auth) -> None:  # type: ignore[no-untyped-def]
    id_number = await _person(client, auth)
    url = f"/v1/persons/{id_number}/identities"
    added = (await client.post(url, headers=auth(Role.AGENCY, **CIVIL), json={
        "category": "minimum_allowance", "document_number": "芝民〔2023〕5号", "approved_on": "2023-02-20"})).json()
    key = added["identity_id"]
    await asyncio.sleep(0.01)
    before_correction = datetime.now(UTC).isoformat()
    await asyncio.sleep(0.01)
    corrected = await client.post(f"{url}/{key}/corrections", headers=auth(Role.AGENCY, **CIVIL), json={
        "approved_on": "2023-01-20", "reason": "认定日期录入错误"})
    assert corrected.status_code == 200, corrected.text
    assert (corrected.json()["identity_id"], corrected.json()["effective_from"]) == (key, "2023-02-01")
    ended = await client.post(f"{url}/{key}/end", headers=auth(Role.AGENCY, **CIVIL),
                              json={"ended_on": "2023-06-10", "reason": "收入超标"})
    assert ended.json()["effective_until"] == "2023-07-01"  # next-month rule on the end
    again = await client.post(f"{url}/{key}/end", headers=auth(Role.AGENCY, **CIVIL), json={"ended_on": "2023-08-01"})
    assert again.status_code == 409 and again.json()["code"] == "identity_already_ended"

    # Now: February counts (corrected), July does not (ended in June).
    assert await _categories(client, auth, id_number, "2023-02-15") == ["minimum_allowance"]
    assert await _categories(client, auth, id_number, "2023-07-01") == []
    # As the records stood before the correction: February did not count yet, July still did.
    assert await _categories(client, auth, id_number, "2023-02-15", before_correction) == []
    assert await _categories(client, auth, id_number, "2023-07-01", before_correction) == ["minimum_allowance"]

    versions = (await client.get(url, params={"with_superseded": "true"}, headers=auth(Role.OPS))).json()
    assert [v["change"] for v in versions] == ["corrected", "ended", "added"]  # by window start, then recording
    assert sum(v["superseded_at"] is None for v in versions) == 1
    history = (await client.get(f"/v1/persons/{id_number}/history", headers=auth(Role.OPS))).json()
    assert [h["action"] for h in history] == [
        "person_registered", "identity_added", "identity_corrected", "identity_ended"]
    assert history[2]["actor"] == "test-agency"
    assert (history[2]["before"]["approved_on"], history[2]["after"]["approved_on"]) == ("2023-02-20", "2023-01-20")


async def test_another_agency_cannot_end_or_correct(client: AsyncClient, auth) -> None:  # type: ignore[no-untyped-def]
    id_number = await _person(client, auth)
    url = f"/v1/persons/{id_number}/identities"
    key = (await client.post(url, headers=auth(Role.OPS), json={
        "category": "minimum_allowance", "document_number": "X", "approved_on": "2023-02-20"})).json()["identity_id"]
    rural = auth(Role.AGENCY, agency="rural_revitalization")
    refused = await client.post(f"{url}/{key}/end", headers=rural, json={"ended_on": "2023-06-10"})
    assert refused.status_code == 403 and refused.json()["code"] == "category_not_owned"
    unknown = await client.post(f"{url}/{'f' * 32}/end", headers=auth(Role.OPS), json={"ended_on": "2023-06-10"})
    assert unknown.status_code == 404 and unknown.json()["code"] == "identity_not_found"
    no_reason = await client.post(f"{url}/{key}/corrections", headers=auth(Role.OPS),
                                  json={"approved_on": "2023-01-01"})
    assert no_reason.status_code == 422
    overlap_key = (await client.post(url, headers=auth(Role.OPS), json={
        "category": "minimum_allowance", "document_number": "Y", "approved_on": "2021-02-20",
        "ended_on": "2022-01-10"})).json()["identity_id"]
    overlapping = await client.post(f"{url}/{overlap_key}/corrections", headers=auth(Role.OPS), json={
        "ended_on": None, "reason": "误终止"})  # re-opening it would overlap the 2023 one
    assert overlapping.status_code == 409 and overlapping.json()["code"] == "identity_overlaps"


async def test_insurance_status_with_dates(client: AsyncClient, auth) -> None:  # type: ignore[no-untyped-def]
    id_number = await _person(client, auth, insured_from="2020-01-01", insurance_type="resident")
    await client.post(f"/v1/persons/{id_number}/identities", headers=auth(Role.OPS), json={
        "category": "extreme_poverty", "document_number": "X", "approved_on": "2020-01-05"})
    for change in ({"status": "suspended", "insurance_type": "resident", "effective_from": "2023-07-01"},
                   {"status": "active", "insurance_type": "employee", "effective_from": "2023-09-01"}):
        assert (await client.post(f"/v1/persons/{id_number}/insurance", json=change,
                                  headers=auth(Role.OPS))).status_code == 201

    async def enrolment(on: str) -> tuple[bool, str | None, str | None]:
        body = (await client.get(f"/v1/persons/{id_number}/eligibility", params={"on": on},
                                 headers=auth(Role.SERVICE))).json()
        return body["insured"], body["insurance_type"], body["insurance_status"]

    assert await enrolment("2019-12-31") == (False, None, None)
    assert await enrolment("2023-06-30") == (True, "resident", "active")
    assert await enrolment("2023-07-15") == (False, "resident", "suspended")
    assert await enrolment("2023-09-01") == (True, "employee", "active")
    person = (await client.get(f"/v1/persons/{id_number}", headers=auth(Role.OPS))).json()
    assert person["insurance_type"] == "employee"


async def test_search_updates_and_masking(client: AsyncClient, auth) -> None:  # type: ignore[no-untyped-def]
    name = f"检索{new_id_number()[-4:]}"
    first = await _person(client, auth, name=name)
    await _person(client, auth, name=name, region_code="370613")
    in_zhifu = (await client.get("/v1/persons", params={"name": name, "region_code": "370602"},
                                 headers=auth(Role.AGENCY, **CIVIL))).json()
    assert in_zhifu["total"] == 1 and in_zhifu["items"][0]["id_number"] == first[:6] + "********" + first[-4:]
    by_number = (await client.get("/v1/persons", params={"id_number": first}, headers=auth(Role.OPS))).json()
    assert by_number["items"][0]["id_number"] == first  # ops holds pii:read
    too_broad = await client.get("/v1/persons", params={"name": name}, headers=auth(Role.OPS))
    assert too_broad.status_code == 422 and too_broad.json()["code"] == "search_too_broad"
    moved = await client.patch(f"/v1/persons/{first}", headers=auth(Role.OPS),
                               json={"region_code": "370613", "reason": "迁入莱山"})
    assert moved.json()["region_code"] == "370613"
    history = (await client.get(f"/v1/persons/{first}/history", headers=auth(Role.OPS))).json()
    assert history[-1]["before"]["region_code"] == "370602" and history[-1]["after"]["reason"] == "迁入莱山"


async def test_batch_eligibility(client: AsyncClient, auth) -> None:  # type: ignore[no-untyped-def]
    known = await _person(client, auth)
    await client.post(f"/v1/persons/{known}/identities", headers=auth(Role.OPS), json={
        "category": "allowance_margin", "document_number": "X", "approved_on": "2023-01-05"})
    unknown = new_id_number()
    response = await client.post("/v1/eligibility:batch", headers=auth(Role.AGENCY, **CIVIL),
                                 json={"on": "2023-03-01", "id_numbers": [unknown, known]})
    items = response.json()["items"]
    assert [i["found"] for i in items] == [False, True]
    assert [i["category"] for i in items[1]["eligibility"]["identities"]] == ["allowance_margin"]
    assert items[0]["id_number"] == unknown[:6] + "********" + unknown[-4:]
    too_many = await client.post("/v1/eligibility:batch", headers=auth(Role.OPS),
                                 json={"on": "2023-03-01", "id_numbers": [known] * 1001})
    assert too_many.status_code == 422


async def test_review_fixes_on_permissions_and_inputs(client: AsyncClient, auth) -> None:  # type: ignore[no-untyped-def]
    id_number = await _person(client, auth)
    rural = auth(Role.AGENCY, agency="rural_revitalization")
    moved = await client.patch(f"/v1/persons/{id_number}", headers=rural, json={"region_code": "370613", "reason": "x"})
    assert moved.status_code == 403  # enrolment and region are the insurance side's, not a list's
    ended = await client.post(f"/v1/persons/{id_number}/insurance", headers=rural,
                              json={"status": "ended", "insurance_type": "resident", "effective_from": "2023-01-01"})
    assert ended.status_code == 403
    by_hand = await client.post(f"/v1/persons/{id_number}/identities", headers=auth(Role.AGENCY, **CIVIL), json={
        "category": "illness_poverty", "document_number": "X", "approved_on": "2023-01-05"})
    assert by_hand.status_code == 422 and by_hand.json()["code"] == "illness_poverty_by_application"
    naive = await client.get(f"/v1/persons/{id_number}/eligibility", headers=auth(Role.OPS),
                             params={"on": "2023-03-01", "as_recorded_at": "2030-01-01T00:00:00"})
    assert naive.status_code == 422
    history = (await client.get(f"/v1/persons/{id_number}/history", headers=auth(Role.AGENCY, **CIVIL))).json()
    assert history[0]["entity_key"] == id_number[:6] + "********" + id_number[-4:]  # no pii:read, no full number


async def test_every_timestamp_carries_its_offset(client: AsyncClient, auth) -> None:  # type: ignore[no-untyped-def]
    id_number = await _person(client, auth, insured_from="2020-01-01")
    ops, civil = auth(Role.OPS), auth(Role.AGENCY, **CIVIL)
    url = f"/v1/persons/{id_number}"
    key = (await client.post(f"{url}/identities", headers=civil, json={
        "category": "minimum_allowance", "document_number": "X", "approved_on": "2023-02-20"})).json()["identity_id"]
    await client.post(f"{url}/identities/{key}/end", headers=civil, json={"ended_on": "2023-06-10"})
    await client.post(f"{url}/insurance", headers=ops, json={
        "status": "suspended", "insurance_type": "resident", "effective_from": "2023-07-01"})
    await client.post(f"{url}/illness-poverty-applications", headers=civil, json={"applied_on": "2023-06-15"})
    responses = [
        await client.get(url, headers=ops),
        await client.get(f"{url}/identities", params={"with_superseded": "true"}, headers=ops),
        await client.get(f"{url}/insurance", headers=ops),
        await client.get(f"{url}/history", headers=ops),
        await client.get(f"{url}/illness-poverty-applications", headers=ops),
        await client.get(f"{url}/eligibility", headers=ops,
                         params={"on": "2023-03-01", "as_recorded_at": "2099-01-01T08:00:00+08:00"}),
        await client.post("/v1/eligibility:batch", headers=ops, json={
            "on": "2023-03-01", "id_numbers": [id_number], "as_recorded_at": "2099-01-01T00:00:00Z"}),
    ]
    assert [r.status_code for r in responses] == [200] * len(responses)
    stamps = [t for r in responses for t in timestamps(r.json())]
    # created_at; two identity versions' recorded_at and one superseded_at; two enrolment events;
    # five audit entries; the application; as_recorded_at and the identity's recorded_at, twice
    assert len(stamps) == 1 + 3 + 2 + 5 + 1 + 2 * 2
    assert without_offset(stamps) == []
