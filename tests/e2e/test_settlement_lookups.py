"""A hospital's look-ups of persons (each admission and each settlement asks the registry who the
patient is): limited per hospital, audited, and the hospitals that look up far more often than they
settle served to ops. Real processes on PostgreSQL; this module's platform is its own, so the
counts are exact."""

import httpx
import pytest

from shared.auth import Role
from shared.clock import today
from tests.e2e.conftest import Platform, fetch
from tests.e2e.settlement_support import EXAMPLE_1, beneficiary, settle

pytestmark = pytest.mark.e2e


def admit(platform: Platform, auth, id_number: str, number: str, hospital_code: str = "060001") -> httpx.Response:  # type: ignore[no-untyped-def]
    his = auth(Role.HIS, hospital_code=hospital_code)
    return httpx.post(f"{platform.urls['settlement']}/v1/admissions", headers=his, json={
        "admission_number": number, "hospital_code": hospital_code, "id_number": id_number, "admitted_on": "2023-03-01",
    })


def outliers(platform: Platform, auth, **params: object) -> httpx.Response:  # type: ignore[no-untyped-def]
    day = today().isoformat()
    return httpx.get(f"{platform.urls['settlement']}/v1/audit/lookups", headers=auth(Role.OPS),
                     params={"from_date": day, "to_date": day} | params)


def test_look_ups_are_audited_and_the_hospitals_that_look_up_far_more_than_they_settle_are_served(  # type: ignore[no-untyped-def]
    platform: Platform, auth,
) -> None:
    patient = beneficiary(platform, auth, "minimum_allowance")
    assert admit(platform, auth, patient, "ZY-A-1").status_code == 201
    assert admit(platform, auth, patient, "ZY-A-1").headers["idempotent-replayed"] == "true"  # no look-up
    assert settle(platform, auth, patient, "LOOKUP-1", EXAMPLE_1).status_code == 201
    assert settle(platform, auth, patient, "LOOKUP-1", EXAMPLE_1).status_code == 201  # a replay: no look-up
    # Another hospital admits five persons and settles none of them.
    browsed = [beneficiary(platform, auth, "minimum_allowance") for _ in range(5)]
    for n, id_number in enumerate(browsed):
        assert admit(platform, auth, id_number, f"ZY-B-{n}", hospital_code="060002").status_code == 201

    rows = fetch(platform.databases["settlement"],
                 "SELECT actor, hospital_code, id_number, purpose, reference FROM person_lookups ORDER BY id")
    assert rows[:2] == [
        {"actor": "test-his", "hospital_code": "060001", "id_number": patient, "purpose": "admission",
         "reference": "ZY-A-1"},
        {"actor": "test-his", "hospital_code": "060001", "id_number": patient, "purpose": "settlement",
         "reference": "LOOKUP-1"},
    ]
    assert [(r["hospital_code"], r["id_number"]) for r in rows[2:]] == [("060002", i) for i in browsed]

    suspicious = outliers(platform, auth)  # above 3 look-ups a settlement, the default
    assert suspicious.status_code == 200, suspicious.text
    assert suspicious.json()["items"] == [
        {"hospital_code": "060002", "lookups": 5, "settlements": 0, "ratio": None}]
    everyone = outliers(platform, auth, min_ratio="1.5").json()["items"]
    assert everyone == [{"hospital_code": "060002", "lookups": 5, "settlements": 0, "ratio": None},
                        {"hospital_code": "060001", "lookups": 2, "settlements": 1, "ratio": "2.00"}]
    assert outliers(platform, auth, from_date="2023-01-01", to_date="2023-01-31").json()["items"] == []
    backwards = outliers(platform, auth, from_date="2023-02-01", to_date="2023-01-31")
    assert backwards.status_code == 422 and backwards.json()["code"] == "invalid_date_range"
    for role in (Role.HIS, Role.AGENCY, Role.SERVICE):
        refused = httpx.get(f"{platform.urls['settlement']}/v1/audit/lookups", headers=auth(role),
                            params={"from_date": "2023-01-01", "to_date": "2023-01-31"})
        assert refused.status_code == 403, (role, refused.text)

    log = (platform.var_dir / "settlement.log").read_text()
    assert all(id_number not in log for id_number in (patient, *browsed))


def test_a_hospital_over_its_look_up_limit_is_429_and_others_are_not(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    platform.restart_service("settlement", SETTLEMENT_LOOKUP_BURST="2", SETTLEMENT_LOOKUP_RATE_PER_SECOND="0.01")
    try:
        patient = beneficiary(platform, auth, "minimum_allowance")
        assert admit(platform, auth, patient, "ZY-L-1").status_code == 201
        assert settle(platform, auth, patient, "LIMIT-1", EXAMPLE_1).status_code == 201
        for refused in (settle(platform, auth, patient, "LIMIT-2", EXAMPLE_1),
                        admit(platform, auth, patient, "ZY-L-2")):
            assert refused.status_code == 429 and refused.json()["code"] == "lookup_rate_limited", refused.text
            assert int(refused.headers["retry-after"]) >= 1
            assert "(this hospital looks persons up too often; retry later)" in refused.json()["detail"]
        database = platform.databases["settlement"]
        assert fetch(database, "SELECT his_serial FROM settlements WHERE id_number = $1", patient) == [
            {"his_serial": "LIMIT-1"}]
        assert fetch(database, "SELECT admission_number FROM admissions WHERE id_number = $1", patient) == [
            {"admission_number": "ZY-L-1"}]
        assert len(fetch(database, "SELECT id FROM person_lookups WHERE id_number = $1", patient)) == 2
        assert admit(platform, auth, patient, "ZY-L-3", hospital_code="060002").status_code == 201  # per hospital
    finally:
        platform.restart_service("settlement")
