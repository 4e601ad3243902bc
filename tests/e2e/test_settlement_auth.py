"""Who may do what in settlement, over real HTTP: no token 401; the roles a route does not admit
403; a HIS sees only its own hospital's settlements (another hospital's are 404: their existence is
not disclosed) and posts only for its own code (403 hospital_mismatch)."""

import httpx
import pytest

from conftest import claims_of, forge
from shared.auth import Role, SigningKey
from tests.e2e.conftest import Platform
from tests.e2e.settlement_support import EXAMPLE_1, beneficiary, settle

pytestmark = pytest.mark.e2e


def test_the_settlement_auth_matrix(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    url = platform.urls["settlement"]
    patient = beneficiary(platform, auth, "minimum_allowance")
    own = settle(platform, auth, patient, "AUTH-1", EXAMPLE_1)
    assert own.status_code == 201, own.text
    settlement_id = own.json()["settlement_id"]
    body = own.request.content
    admission = {"admission_number": "ZY-AUTH-1", "hospital_code": "060001", "id_number": patient,
                 "admitted_on": "2023-03-01"}
    calls = {
        "settle": lambda h: httpx.post(f"{url}/v1/settlements", content=body, headers=h | {
            "Content-Type": "application/json"}),
        "read": lambda h: httpx.get(f"{url}/v1/settlements/{settlement_id}", headers=h),
        "list": lambda h: httpx.get(f"{url}/v1/settlements", headers=h),
        "cancel": lambda h: httpx.post(f"{url}/v1/settlements/{settlement_id}/cancel", headers=h,
                                       json={"reason": "鉴权测试"}),
        "admit": lambda h: httpx.post(f"{url}/v1/admissions", headers=h, json=admission),
        "lookup audit": lambda h: httpx.get(f"{url}/v1/audit/lookups", headers=h,
                                            params={"from_date": "2023-01-01", "to_date": "2023-01-31"}),
    }
    forged = forge(claims_of("his"), SigningKey.generate())  # signed by a key nobody trusts
    for name, call in calls.items():
        for headers, status in (({}, 401), ({"Authorization": f"Bearer {forged}"}, 401),
                                (auth(Role.AGENCY), 403), (auth(Role.SERVICE), 403)):
            answer = call(headers)
            assert answer.status_code == status, (name, headers, answer.text)
            assert answer.headers["content-type"].startswith("application/problem+json")
    read_only = auth(Role.HIS, hospital_code="060001", scopes=["settlements:read"])
    for name in ("settle", "cancel", "admit"):
        assert calls[name](read_only).status_code == 403, name
    assert calls["lookup audit"](auth(Role.HIS)).status_code == 403

    other = auth(Role.HIS, hospital_code="060002")
    for name in ("read", "cancel"):
        hidden = calls[name](other)
        assert hidden.status_code == 404 and hidden.json()["code"] == "settlement_not_found", (name, hidden.text)
    assert settlement_id not in {s["settlement_id"] for s in calls["list"](other).json()["items"]}
    for name in ("settle", "admit"):
        foreign = calls[name](other)
        assert foreign.status_code == 403 and foreign.json()["code"] == "hospital_mismatch", (name, foreign.text)

    # The owner and ops still can: nothing above changed the settlement.
    assert calls["read"](auth(Role.HIS)).json()["status"] == "settled"
    assert calls["read"](auth(Role.OPS)).status_code == 200
    assert calls["cancel"](auth(Role.HIS)).status_code == 200
