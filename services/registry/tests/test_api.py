"""The registry API on PostgreSQL: persons, identities, eligibility, permissions."""

import asyncio
import time

import pytest
from httpx import AsyncClient

from conftest import forge
from shared.auth import Role
from tests.support.people import new_id_number

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _person(client: AsyncClient, auth, **overrides) -> str:  # type: ignore[no-untyped-def]
    body = {"id_number": new_id_number(), "name": "测试人", "insurance_type": "resident", "region_code": "370602"}
    body.update(overrides)
    response = await client.post("/v1/persons", json=body, headers=auth(Role.OPS))
    assert response.status_code == 201, response.text
    return body["id_number"]


async def test_register_and_read_a_person(client: AsyncClient, auth) -> None:  # type: ignore[no-untyped-def]
    id_number = new_id_number(born=__import__("datetime").date(1985, 6, 15))
    created = await client.post(
        "/v1/persons", headers=auth(Role.OPS),
        json={"id_number": id_number.lower(), "name": " 李四 ", "insurance_type": "employee", "region_code": "370684"},
    )
    assert created.status_code == 201
    assert created.json()["birth_on"] == "1985-06-15"
    assert created.json()["name"] == "李四"
    as_ops = await client.get(f"/v1/persons/{id_number}", headers=auth(Role.OPS))
    assert as_ops.json()["id_number"] == id_number
    as_agency = await client.get(f"/v1/persons/{id_number}", headers=auth(Role.AGENCY))
    assert as_agency.json()["id_number"] == id_number[:6] + "********" + id_number[-4:]


async def test_duplicate_person_is_409(client: AsyncClient, auth) -> None:  # type: ignore[no-untyped-def]
    id_number = await _person(client, auth)
    again = await client.post(
        "/v1/persons", headers=auth(Role.OPS),
        json={"id_number": id_number, "name": "重复", "insurance_type": "resident", "region_code": "370602"},
    )
    assert again.status_code == 409
    assert again.json()["code"] == "person_exists"


@pytest.mark.parametrize(
    ("patch", "error_type"),
    [
        ({"id_number": "370602199001011238"}, "id_number_bad_check_digit"),
        ({"id_number": "37060219900101123"}, "id_number_wrong_length"),
        ({"id_number": "370602199013011236"}, "id_number_bad_birth_date"),
        ({"insurance_type": "farmer"}, "enum"),
        ({"region_code": "3706"}, "string_pattern_mismatch"),
        ({"name": ""}, "string_too_short"),
        ({"name": "张\x00三"}, "value_error"),
        ({"name": "张\u202e三"}, "value_error"),  # right-to-left override
        ({"name": "张\u200b三"}, "value_error"),  # zero-width space
        ({"name": "\ufeff张三"}, "value_error"),  # byte order mark
        ({"name": "张\u2066三\u2069"}, "value_error"),  # left-to-right isolate
        ({"region_code": "３７０６０２"}, "string_pattern_mismatch"),
        ({"extra": 1}, "extra_forbidden"),
    ],
)
async def test_bad_person_is_422_with_the_field(client: AsyncClient, auth, patch, error_type) -> None:  # type: ignore[no-untyped-def]
    body = {"id_number": new_id_number(), "name": "某", "insurance_type": "resident", "region_code": "370602"}
    response = await client.post("/v1/persons", json={**body, **patch}, headers=auth(Role.OPS))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["type"] for e in response.json()["errors"]] == [error_type]


async def test_unknown_person_is_404(client: AsyncClient, auth) -> None:  # type: ignore[no-untyped-def]
    response = await client.get(f"/v1/persons/{new_id_number()}/eligibility", headers=auth(Role.OPS))
    assert response.status_code == 404
    assert response.json()["code"] == "person_not_found"


async def test_eligibility_follows_the_next_month_rule(client: AsyncClient, auth) -> None:  # type: ignore[no-untyped-def]
    id_number = await _person(client, auth)
    added = await client.post(
        f"/v1/persons/{id_number}/identities", headers=auth(Role.AGENCY, agency="civil_affairs"),
        json={"category": "minimum_allowance", "document_number": "芝民〔2023〕1号",
              "approved_on": "2023-03-31", "ended_on": "2023-12-15"},
    )
    assert added.status_code == 201, added.text
    assert added.json()["effective_from"] == "2023-04-01"
    assert added.json()["effective_until"] == "2024-01-01"
    assert added.json()["category_label"] == "低保对象"

    async def categories_on(day: str) -> list[str]:
        response = await client.get(
            f"/v1/persons/{id_number}/eligibility", params={"on": day}, headers=auth(Role.SERVICE)
        )
        assert response.status_code == 200
        return [i["category"] for i in response.json()["identities"]]

    assert await categories_on("2023-03-31") == []
    assert await categories_on("2023-04-01") == ["minimum_allowance"]
    assert await categories_on("2023-12-31") == ["minimum_allowance"]
    assert await categories_on("2024-01-01") == []


async def test_several_identities_listed_in_policy_order(client: AsyncClient, auth) -> None:  # type: ignore[no-untyped-def]
    id_number = await _person(client, auth)
    for category, agency in (("poverty_monitoring", "rural_revitalization"), ("extreme_poverty", "civil_affairs")):
        response = await client.post(
            f"/v1/persons/{id_number}/identities", headers=auth(Role.AGENCY, agency=agency),
            json={"category": category, "document_number": "X-1", "approved_on": "2023-01-20"},
        )
        assert response.status_code == 201
    eligibility = await client.get(f"/v1/persons/{id_number}/eligibility?on=2023-02-01", headers=auth(Role.OPS))
    body = eligibility.json()
    assert [i["category"] for i in body["identities"]] == ["extreme_poverty", "poverty_monitoring"]
    assert body["insured"] is True and body["insurance_type"] == "resident"


async def test_identity_rules_refuse_bad_changes(client: AsyncClient, auth) -> None:  # type: ignore[no-untyped-def]
    id_number = await _person(client, auth)
    url = f"/v1/persons/{id_number}/identities"
    body = {"category": "returned_to_poverty", "document_number": "乡振〔2023〕2号", "approved_on": "2023-05-05"}
    not_owned = await client.post(url, json=body, headers=auth(Role.AGENCY, agency="civil_affairs"))
    assert not_owned.status_code == 403 and not_owned.json()["code"] == "category_not_owned"
    assert (await client.post(url, json=body, headers=auth(Role.OPS))).status_code == 201
    overlap = await client.post(url, json={**body, "approved_on": "2023-08-05"}, headers=auth(Role.OPS))
    assert overlap.status_code == 409 and overlap.json()["code"] == "identity_overlaps"
    backwards = await client.post(
        url, json={**body, "category": "minimum_allowance", "ended_on": "2023-05-04"}, headers=auth(Role.OPS),
    )
    assert backwards.status_code == 422 and backwards.json()["code"] == "identity_end_before_start"
    unknown = await client.post(url, json={**body, "category": "rich"}, headers=auth(Role.OPS))
    assert unknown.status_code == 422
    history = await client.get(url, headers=auth(Role.OPS))
    assert [i["category"] for i in history.json()] == ["returned_to_poverty"]


async def test_his_cannot_read_the_registry(client: AsyncClient, auth) -> None:  # type: ignore[no-untyped-def]
    response = await client.get(f"/v1/persons/{new_id_number()}", headers=auth(Role.HIS))
    assert response.status_code == 403
    assert response.json()["code"] == "wrong_audience"  # a HIS token names catalog and settlement
    naming_registry = await client.get(f"/v1/persons/{new_id_number()}", headers=auth(Role.HIS, audience=["registry"]))
    assert naming_registry.status_code == 403
    assert naming_registry.json()["code"] == "role_not_allowed"


async def test_concurrent_pushes_of_one_identity_create_it_once(client: AsyncClient, auth) -> None:  # type: ignore[no-untyped-def]
    id_number = await _person(client, auth)
    body = {"category": "minimum_allowance", "document_number": "并发〔2023〕1号", "approved_on": "2023-02-02"}
    responses = await asyncio.gather(*(
        client.post(f"/v1/persons/{id_number}/identities", json=body, headers=auth(Role.OPS)) for _ in range(5)
    ))
    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409, 409]


async def test_far_dates_and_long_subjects_are_client_errors(client: AsyncClient, auth) -> None:  # type: ignore[no-untyped-def]
    id_number = await _person(client, auth)
    far = await client.post(f"/v1/persons/{id_number}/identities", headers=auth(Role.OPS), json={
        "category": "minimum_allowance", "document_number": "X", "approved_on": "9999-12-31"})
    assert far.status_code == 422 and far.json()["errors"][0]["loc"] == ["body", "approved_on"]
    now = int(time.time())  # signed right, but a subject too long to record
    forged = forge({"iss": "assistance-platform", "sub": "s" * 65, "aud": ["registry"], "role": "ops",
                    "scopes": ["persons:read"], "iat": now, "exp": now + 60})
    long_subject = await client.get(f"/v1/persons/{id_number}", headers={"Authorization": f"Bearer {forged}"})
    assert long_subject.status_code == 401 and long_subject.json()["code"] == "invalid_token"


async def test_a_name_with_invisible_characters_is_refused_with_a_bilingual_reason(client: AsyncClient, auth) -> None:  # type: ignore[no-untyped-def]
    id_number = await _person(client, auth)
    renamed = await client.patch(f"/v1/persons/{id_number}", headers=auth(Role.OPS),
                                 json={"name": "李\u200f四", "reason": "更名"})
    assert renamed.status_code == 422
    assert "零宽字符 (the name contains bidi controls" in renamed.json()["errors"][0]["msg"]


async def test_an_agency_may_not_record_enrolment(client: AsyncClient, auth) -> None:  # type: ignore[no-untyped-def]
    body = {"id_number": new_id_number(), "name": "某", "insurance_type": "resident", "region_code": "370602"}
    civil = auth(Role.AGENCY, agency="civil_affairs")
    refused = await client.post("/v1/persons", headers=civil, json={**body, "insured_from": "2015-01-01"})
    assert refused.status_code == 403 and refused.json()["code"] == "enrolment_by_ops_only"
    assert (await client.get(f"/v1/persons/{body['id_number']}", headers=auth(Role.OPS))).status_code == 404
    with_status = await client.post("/v1/persons", headers=civil, json={**body, "insurance_status": "active"})
    assert with_status.status_code == 422 and with_status.json()["errors"][0]["type"] == "extra_forbidden"
    assert (await client.post("/v1/persons", headers=civil, json=body)).status_code == 201
    by_ops = await client.post("/v1/persons", headers=auth(Role.OPS),
                               json={**body, "id_number": new_id_number(), "insured_from": "2015-01-01"})
    assert by_ops.status_code == 201
