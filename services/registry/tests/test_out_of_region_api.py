"""Out-of-region care filings through the registry API, on PostgreSQL and SQLite: the one-time list
of what is missing, coming into force, ending, the history, and the eligibility answer."""

import pytest
from httpx import AsyncClient

from shared.auth import Role
from tests.support.people import new_id_number

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture
def client(client_on_each_store: AsyncClient) -> AsyncClient:
    return client_on_each_store


async def _person(client: AsyncClient, auth) -> str:  # type: ignore[no-untyped-def]
    body = {"id_number": new_id_number(), "name": "异地人", "insurance_type": "resident", "region_code": "370602",
            "insured_from": "2015-01-01"}
    assert (await client.post("/v1/persons", json=body, headers=auth(Role.OPS))).status_code == 201
    return body["id_number"]


async def _in_force(client: AsyncClient, auth, id_number: str, on: str, **params: str) -> list[str]:  # type: ignore[no-untyped-def]
    response = await client.get(f"/v1/persons/{id_number}/eligibility", params={"on": on, **params},
                                headers=auth(Role.SERVICE))
    assert response.status_code == 200, response.text
    return [f["kind"] for f in response.json()["out_of_region_filings"]]


async def test_an_incomplete_filing_lists_everything_missing_and_counts_once_complete(
    client: AsyncClient, auth,  # type: ignore[no-untyped-def]
) -> None:
    id_number = await _person(client, auth)
    url = f"/v1/persons/{id_number}/out-of-region-filings"
    filed = await client.post(url, headers=auth(Role.OPS), json={
        "kind": "emergency", "destination_region_code": "110105", "hospital_code": "110001",
        "filed_on": "2023-03-10", "valid_from": "2023-03-02", "documents_received": ["identity_card"]})
    assert filed.status_code == 201, filed.text
    body = filed.json()
    assert (body["in_force"], body["kind_label"]) == (False, "异地急诊转住院联网备案")
    assert body["missing_documents"] == [{"code": "emergency_record", "label": "门（急）诊病历原件"},
                                         {"code": "inpatient_record_copy", "label": "住院病历的有效复印件"}]
    assert await _in_force(client, auth, id_number, "2023-03-05") == []
    completed = await client.post(f"{url}/{body['filing_id']}/documents", headers=auth(Role.OPS),
                                  json={"documents_received": ["emergency_record", "inpatient_record_copy"]})
    assert completed.status_code == 200, completed.text
    assert (completed.json()["in_force"], completed.json()["missing_documents"]) == (True, [])
    assert await _in_force(client, auth, id_number, "2023-03-02") == ["emergency"]
    assert await _in_force(client, auth, id_number, "2023-03-01") == []
    # as the records stood when it was filed: still incomplete then
    assert await _in_force(client, auth, id_number, "2023-03-05", as_recorded_at=body["created_at"]) == []
    history = (await client.get(f"/v1/persons/{id_number}/history", headers=auth(Role.OPS))).json()
    assert [h["action"] for h in history][-2:] == ["out_of_region_filed", "out_of_region_documents"]
    assert history[-1]["before"]["in_force"] is False and history[-1]["after"]["in_force"] is True


async def test_a_residence_filing_under_a_commitment_is_in_force_until_ended(
    client: AsyncClient, auth,  # type: ignore[no-untyped-def]
) -> None:
    id_number = await _person(client, auth)
    url = f"/v1/persons/{id_number}/out-of-region-filings"
    filed = await client.post(url, headers=auth(Role.OPS), json={
        "kind": "long_term_residence", "destination_region_code": "110100", "filed_on": "2023-03-01",
        "documents_received": ["identity_card"], "personal_commitment": True})
    assert filed.status_code == 201, filed.text
    assert filed.json()["in_force"] is True
    assert [d["code"] for d in filed.json()["missing_documents"]] == ["residence_proof"]
    assert await _in_force(client, auth, id_number, "2024-06-30") == ["long_term_residence"]
    end = f"{url}/{filed.json()['filing_id']}/end"
    ended = await client.post(end, headers=auth(Role.OPS), json={"last_day": "2023-06-30", "reason": "回烟台居住"})
    assert ended.status_code == 200 and ended.json()["last_day"] == "2023-06-30"
    assert await _in_force(client, auth, id_number, "2023-06-30") == ["long_term_residence"]
    assert await _in_force(client, auth, id_number, "2023-07-01") == []
    again = await client.post(end, headers=auth(Role.OPS), json={"last_day": "2023-05-31"})
    assert again.status_code == 409 and again.json()["code"] == "filing_ended"
    listed = (await client.get(url, headers=auth(Role.AGENCY))).json()
    assert [f["filing_id"] for f in listed] == [filed.json()["filing_id"]]


async def test_filings_the_guide_does_not_allow_are_refused_and_write_nothing(
    client: AsyncClient, auth,  # type: ignore[no-untyped-def]
) -> None:
    id_number = await _person(client, auth)
    url = f"/v1/persons/{id_number}/out-of-region-filings"
    base = {"kind": "referral", "destination_region_code": "370100", "hospital_code": "370101",
            "filed_on": "2023-03-01"}
    for change, code in (({"destination_region_code": "370613"}, "destination_inside_region"),
                         ({"personal_commitment": True}, "commitment_not_allowed"),
                         ({"hospital_code": None}, "hospital_code_for_kind"),
                         ({"valid_from": "2023-02-01"}, "filing_backdated"),
                         ({"documents_received": ["identity_card"]}, "document_not_on_checklist")):
        refused = await client.post(url, headers=auth(Role.OPS), json={**base, **change})
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["code"] == code
    forbidden = await client.post(url, headers=auth(Role.AGENCY, agency="civil_affairs"), json=base)
    assert forbidden.status_code == 403
    missing = await client.post(f"{url}/{'f' * 32}/end", headers=auth(Role.OPS), json={"last_day": "2023-05-31"})
    assert missing.status_code == 404 and missing.json()["code"] == "filing_not_found"
    assert (await client.get(url, headers=auth(Role.OPS))).json() == []
    referral = await client.post(url, headers=auth(Role.OPS), json=base)
    assert referral.status_code == 201 and referral.json()["in_force"] is True  # no documents: the hospital files it
