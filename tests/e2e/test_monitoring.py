"""Hospital monitoring (004 §四(十)): the share of out-of-catalog costs in assistance beneficiaries'
bills per hospital, served to ops. Real settlements posted by HIS to real processes on PostgreSQL;
this module's platform is its own, so the figures are exact, and each was worked by hand."""

import httpx
import pytest

from shared.auth import Role
from tests.e2e.conftest import Platform
from tests.e2e.settlement_support import EXAMPLE_1, beneficiary, settle

pytestmark = pytest.mark.e2e
A, B = "060001", "060002"
APRIL = {"admitted_on": "2023-04-01", "discharged_on": "2023-04-10"}


def shares(platform: Platform, auth, role: Role = Role.OPS, **params: object) -> httpx.Response:  # type: ignore[no-untyped-def]
    return httpx.get(f"{platform.urls['settlement']}/v1/monitoring/out-of-catalog", headers=auth(role), params=params)


def _without_request(problem: dict) -> dict:  # type: ignore[type-arg]
    return {k: v for k, v in problem.items() if k not in ("instance", "request_id")}


def settled(response: httpx.Response) -> str:
    assert response.status_code == 201, response.text
    return response.json()["settlement_id"]


def test_the_hospitals_above_the_out_of_catalog_share_are_listed_with_their_figures(  # type: ignore[no-untyped-def]
    platform: Platform, auth,
) -> None:
    low_income = [beneficiary(platform, auth, "minimum_allowance") for _ in range(6)]
    # Hospital A in March: full self-pay 3,000 of 50,000 and 9,000 of 20,000 (with 1,000 over the price limit).
    settled(settle(platform, auth, low_income[0], "MON-A-1", EXAMPLE_1))
    settled(settle(platform, auth, low_income[1], "MON-A-2", {
        "total": "20000", "full_self_pay": "9000", "over_limit_self_pay": "1000", "basic_insurance_paid": "6000"}))
    # Left out: a settlement cancelled, one of a person holding no assistance identity, one in April.
    cancelled = settled(settle(platform, auth, low_income[2], "MON-A-3", {
        "total": "10000", "full_self_pay": "10000", "basic_insurance_paid": "0"}))
    assert httpx.post(f"{platform.urls['settlement']}/v1/settlements/{cancelled}/cancel", headers=auth(Role.HIS),
                      json={"reason": "录入错误 (wrong entry)"}).status_code == 200
    insured_only = beneficiary(platform, auth, None)
    settled(settle(platform, auth, insured_only, "MON-A-4", {
        "total": "10000", "full_self_pay": "10000", "basic_insurance_paid": "0"}))
    settled(settle(platform, auth, low_income[3], "MON-A-5", {
        "total": "10000", "full_self_pay": "1000", "basic_insurance_paid": "5000"}, **APRIL))
    # Hospital B in March: 1,000 of 50,000 (a share of 0.02).
    settled(settle(platform, auth, low_income[4], "MON-B-1", EXAMPLE_1 | {"full_self_pay": "1000"},
                   hospital_code=B))

    march = shares(platform, auth, period="2023-03")  # above the default share, 0.10
    assert march.status_code == 200, march.text
    a_in_march = {
        "hospital_code": A, "settlements": 2, "total_cost": "70000.00", "out_of_catalog_cost": "12000.00",
        "share": "0.1714",  # 12,000 / 70,000
        "over_limit_cost": "1000.00", "share_with_over_limit": "0.1857",  # 13,000 / 70,000
    }
    assert march.json() == {"from_date": "2023-03-01", "to_date": "2023-03-31", "min_share": "0.10",
                            "settlements_without_split": 0, "items": [a_in_march]}
    b_in_march = {"hospital_code": B, "settlements": 1, "total_cost": "50000.00", "out_of_catalog_cost": "1000.00",
                  "share": "0.0200", "over_limit_cost": "0.00", "share_with_over_limit": "0.0200"}
    assert shares(platform, auth, period="2023-03", min_share="0.01").json()["items"] == [a_in_march, b_in_march]
    assert shares(platform, auth, period="2023-03", min_share="0.2").json()["items"] == []
    # March and April: A has 13,000 of 80,000.
    spring = shares(platform, auth, from_date="2023-03-01", to_date="2023-04-30").json()
    assert (spring["from_date"], spring["to_date"]) == ("2023-03-01", "2023-04-30")
    assert spring["items"] == [{
        "hospital_code": A, "settlements": 3, "total_cost": "80000.00", "out_of_catalog_cost": "13000.00",
        "share": "0.1625", "over_limit_cost": "1000.00", "share_with_over_limit": "0.1750"}]


@pytest.mark.parametrize(("params", "code"), [
    ({"period": "2023-13"}, "invalid_period"),
    ({"period": "2023-03", "from_date": "2023-03-01", "to_date": "2023-03-31"}, "invalid_period"),
    ({}, "invalid_period"),
    ({"from_date": "2023-03-01"}, "invalid_period"),
    ({"from_date": "2023-04-01", "to_date": "2023-03-01"}, "invalid_date_range"),
    ({"from_date": "2023-01-01", "to_date": "2024-01-02"}, "date_range_too_long"),
    ({"period": "2023-03", "min_share": "1.5"}, "validation_failed"),
    ({"period": "2023-03", "min_share": "-0.1"}, "validation_failed"),
])
def test_a_bad_period_or_share_is_a_problem(platform: Platform, auth, params: dict, code: str) -> None:  # type: ignore[no-untyped-def,type-arg]
    refused = shares(platform, auth, **params)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == code


@pytest.mark.parametrize("role", [Role.HIS, Role.AGENCY, Role.SERVICE])
def test_only_ops_see_the_monitoring(platform: Platform, auth, role: Role) -> None:  # type: ignore[no-untyped-def]
    refused = shares(platform, auth, role, period="2023-03")
    assert refused.status_code == 403, refused.text
    assert refused.headers["content-type"] == "application/problem+json"


def test_the_documented_period_problems_are_what_the_service_answers(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    spec = httpx.get(f"{platform.urls['settlement']}/openapi.json").json()
    documented = spec["paths"]["/v1/monitoring/out-of-catalog"]["get"]["responses"]["422"]["content"][
        "application/problem+json"]["examples"]
    for code, params in (("invalid_period", {"period": "2023-13"}),
                         ("invalid_date_range", {"from_date": "2023-04-01", "to_date": "2023-03-01"}),
                         ("date_range_too_long", {"from_date": "2023-01-01", "to_date": "2024-01-02"})):
        assert _without_request(shares(platform, auth, **params).json()) == _without_request(documented[code]["value"])
