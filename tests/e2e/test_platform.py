"""The four services as real uvicorn processes on PostgreSQL, called over real HTTP."""

import httpx
import pytest

from services.registry.seed import DEMO_PERSONS
from shared.auth import Role
from tests.e2e.conftest import Platform, fetch
from tests.support.people import new_id_number

pytestmark = pytest.mark.e2e


def test_every_service_serves_its_docs_and_openapi(platform: Platform) -> None:
    for service, url in platform.urls.items():
        docs = httpx.get(f"{url}/docs")
        assert docs.status_code == 200 and "swagger" in docs.text.lower(), service
        spec = httpx.get(f"{url}/openapi.json").json()
        assert spec["info"]["title"].lower().startswith(service)


def test_an_agency_registers_a_beneficiary_and_eligibility_answers(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    registry = platform.urls["registry"]
    id_number = new_id_number()
    headers = {**auth(Role.AGENCY, agency="civil_affairs"), "X-Request-ID": "e2e-flow-1"}
    person = httpx.post(f"{registry}/v1/persons", headers=headers, json={
        "id_number": id_number, "name": "端到端", "insurance_type": "resident", "region_code": "370602",
    })
    assert person.status_code == 201 and person.headers["x-request-id"] == "e2e-flow-1"
    identity = httpx.post(f"{registry}/v1/persons/{id_number}/identities", headers=headers, json={
        "category": "extreme_poverty", "document_number": "芝民特困〔2023〕9号", "approved_on": "2023-02-14",
    })
    assert identity.status_code == 201
    eligibility = httpx.get(
        f"{registry}/v1/persons/{id_number}/eligibility", params={"on": "2023-03-01"}, headers=auth(Role.SERVICE),
    )
    assert [i["category"] for i in eligibility.json()["identities"]] == ["extreme_poverty"]


def test_logs_never_show_an_id_number(platform: Platform, auth, tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    id_number = DEMO_PERSONS[0][0].id_number
    httpx.get(f"{platform.urls['registry']}/v1/persons/{id_number}", headers=auth(Role.OPS))
    logs = "".join(p.read_text(encoding="utf-8") for p in tmp_path_factory.getbasetemp().rglob("registry.log"))
    assert id_number[:6] + "********" + id_number[-4:] in logs
    assert id_number not in logs


def test_hospital_lookup_over_http(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    response = httpx.get(f"{platform.urls['catalog']}/v1/hospitals/060001", headers=auth(Role.HIS))
    assert response.status_code == 200 and response.json()["name"] == "毓璜顶医院"


def test_settlement_is_ready_only_while_its_peers_are(platform: Platform) -> None:
    settlement = platform.urls["settlement"]
    ready = httpx.get(f"{settlement}/readyz", timeout=10)
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "registry": "ok", "catalog": "ok", "assistance": "ok"}
    platform.stop_service("catalog")
    down = httpx.get(f"{settlement}/readyz", timeout=10)
    assert down.status_code == 503
    assert down.json()["checks"]["catalog"] == "failed"  # the cause is in the log only
    assert down.json()["checks"]["registry"] == "ok"


def test_a_settlement_with_a_peer_down_is_503_and_writes_nothing(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    # Runs after the catalog was stopped above.
    body = {
        "his_serial": "PEER-DOWN-1", "hospital_code": "060001", "id_number": new_id_number(),
        "insurance_type": "resident", "medical_type": "inpatient", "admitted_on": "2023-03-01",
        "discharged_on": "2023-03-20", "bill": {"total": "1000", "basic_insurance_paid": "500"},
    }
    headers = auth(Role.HIS, hospital_code="060001")
    response = httpx.post(f"{platform.urls['settlement']}/v1/settlements", json=body, headers=headers, timeout=30)
    assert response.status_code == 503
    assert response.headers["retry-after"]
    assert response.json()["code"] == "peer_unavailable" and response.json()["peer"] == "catalog"
    database = platform.databases["settlement"]
    assert fetch(database, "SELECT count(*) AS n FROM settlements") == [{"n": 0}]
    assert fetch(database, "SELECT count(*) AS n FROM ledger_entries") == [{"n": 0}]
    # the serial was released: a retry once the peer is back is a fresh settlement, not a 409
    retry = httpx.post(f"{platform.urls['settlement']}/v1/settlements", json=body, headers=headers, timeout=30)
    assert retry.status_code == 503 and retry.json()["code"] == "peer_unavailable"
