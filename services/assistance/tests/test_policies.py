from pathlib import Path

import pytest

from conftest import KEY_SETTINGS, asgi_client
from services.assistance.app import create_app
from services.assistance.calculation.router import BatchResult
from services.assistance.settings import AssistanceSettings
from shared.auth import Role


async def test_policies_in_force_on_a_date(auth) -> None:  # type: ignore[no-untyped-def]
    app = create_app(AssistanceSettings(**KEY_SETTINGS, log_json=False))
    async with asgi_client(app) as client:
        on_2020 = await client.get("/v1/policies", params={"on": "2020-06-01"}, headers=auth(Role.SERVICE))
        on_2023 = await client.get("/v1/policies", params={"on": "2023-01-01"}, headers=auth(Role.SERVICE))
        everything = await client.get("/v1/policies", headers=auth(Role.OPS))
        anonymous = await client.get("/v1/policies")
    assert {p["id"] for p in on_2020.json()} == {"yantai-2018", "yantai-2018-development-zone", "taierzhuang-2017"}
    assert {p["id"] for p in on_2023.json()} == {"yantai-2023", "taierzhuang-2017"}
    assert len(everything.json()) == 4
    assert anonymous.status_code == 401


def test_an_invalid_policy_file_stops_the_service(tmp_path: Path) -> None:
    (tmp_path / "index.toml").write_text(
        '[[policy]]\nid = "x"\nname = "x"\nregion_code = "370600"\n'
        "effective_from = 2023-01-01\neffective_until = 2022-12-31\nsource = \"test\"\n"
    )
    with pytest.raises(ValueError, match="effective_until is before effective_from"):
        create_app(AssistanceSettings(**KEY_SETTINGS, policy_dir=tmp_path, log_json=False))


async def test_a_policy_and_its_parameters_as_of_a_date(auth) -> None:  # type: ignore[no-untyped-def]
    app = create_app(AssistanceSettings(**KEY_SETTINGS, log_json=False))
    async with asgi_client(app) as client:
        zone = await client.get("/v1/policies/in-force", params={"region_code": "370672", "on": "2020-06-01"},
                                headers=auth(Role.OPS))
        later = await client.get("/v1/policies/in-force", params={"region_code": "370672", "on": "2023-06-01"},
                                 headers=auth(Role.OPS))
        nowhere = await client.get("/v1/policies/in-force", params={"region_code": "110101", "on": "2023-06-01"},
                                   headers=auth(Role.OPS))
        one = await client.get("/v1/policies/taierzhuang-2017", headers=auth(Role.OPS))
        missing = await client.get("/v1/policies/nowhere-2030", headers=auth(Role.OPS))
        regions = await client.get("/v1/policies/regions", headers=auth(Role.OPS))
    assert zone.json()["policy"]["id"] == "yantai-2018-development-zone"
    low = zone.json()["parameters"]["assistance"]["minimum_allowance"]
    assert (low["ratios"]["inpatient_ordinary"], low["verified"]) == ("0.70", True)  # the city's: no zone figure
    assert zone.json()["parameters"]["assistance"]["extreme_poverty"]["caps"]["outpatient"] == "3000.00"  # inherited
    assert later.json()["policy"]["id"] == "yantai-2023"
    segments = later.json()["parameters"]["critical_illness"]["tilted"]["resident"]["segments"]
    assert segments[0] == {"from": "7000.00", "to": "100000.00", "ratio": "0.65"}
    assert nowhere.status_code == 404 and nowhere.json()["code"] == "no_policy"
    assert one.json()["parameters"]["excluded_causes"]["traffic_accident"] == "交通事故"
    assert missing.status_code == 404 and missing.json()["code"] == "policy_not_found"
    assert {r["region_code"]: [p["id"] for p in r["policies"]] for r in regions.json()} == {
        "370405": ["taierzhuang-2017"], "370600": ["yantai-2018", "yantai-2023"],
        "370672": ["yantai-2018-development-zone"],
    }


async def test_a_batch_validates_and_computes_each_item_on_its_own(auth) -> None:  # type: ignore[no-untyped-def]
    app = create_app(AssistanceSettings(**KEY_SETTINGS, log_json=False))
    example_1 = {
        "region_code": "370602", "insurance_type": "resident", "medical_type": "inpatient",
        "discharged_on": "2023-03-20", "identities": ["minimum_allowance"],
        "bill": {"total": "50000", "full_self_pay": "3000", "pre_self_pay": "2000", "basic_insurance_paid": "26520"},
    }
    no_policy = {**example_1, "region_code": "110101"}
    under_2018 = {**example_1, "discharged_on": "2021-03-20"}  # critical illness not given
    async with asgi_client(app) as client:
        batch = await client.post("/v1/calculations:batch", json={"items": [example_1, no_policy, under_2018]},
                                  headers=auth(Role.SERVICE))
        malformed = await client.post("/v1/calculations:batch", json={"items": [example_1, {"bill": {}}]},
                                      headers=auth(Role.SERVICE))
        not_an_object = await client.post("/v1/calculations:batch", json={"items": [example_1, 7]},
                                          headers=auth(Role.SERVICE))
        empty = await client.post("/v1/calculations:batch", json={"items": []}, headers=auth(Role.SERVICE))
    for answer in (batch, malformed):
        assert answer.content == BatchResult.model_validate_json(answer.content).model_dump_json().encode()
    body = batch.json()
    assert (batch.status_code, body["computed"], body["failed"]) == (200, 1, 2)
    assert body["items"][0]["result"]["assistance"] == "8814.40"
    assert [i["problem"]["code"] for i in body["items"][1:]] == ["no_policy", "critical_illness_required"]
    assert (malformed.status_code, malformed.json()["computed"], malformed.json()["failed"]) == (200, 1, 1)
    problem = malformed.json()["items"][1]["problem"]
    assert problem["code"] == "validation_failed"
    assert {tuple(e["loc"]) for e in problem["errors"]} >= {("region_code",), ("bill", "total")}
    assert not_an_object.status_code == 422 and not_an_object.headers["content-type"] == "application/problem+json"
    assert empty.status_code == 422


async def test_a_chained_batch_replays_in_order_across_years_and_grants(auth) -> None:  # type: ignore[no-untyped-def]
    """docs/rules.md §8 examples 1 and 2 as one chained batch: the second starts from what the first left
    (re-assistance (5,703.60 − 5,000) × 70% = 492.52); an item of another year starts from its own
    balances; an item under the same grant from the grant usage the one before it left; after an item
    that cannot be computed the rest are not."""
    app = create_app(AssistanceSettings(**KEY_SETTINGS, log_json=False))
    example_1 = {
        "region_code": "370602", "insurance_type": "resident", "medical_type": "inpatient",
        "discharged_on": "2023-03-20", "identities": ["minimum_allowance"],
        "bill": {"total": "50000", "full_self_pay": "3000", "pre_self_pay": "2000", "basic_insurance_paid": "26520"},
    }
    example_2 = {**example_1, "discharged_on": "2023-05-20", "bill": {
        "total": "120000", "full_self_pay": "5000", "pre_self_pay": "5000", "basic_insurance_paid": "60000"}}
    next_year = {**example_1, "discharged_on": "2024-02-20"}
    grant = {"window_from": "2023-03-01", "window_until": "2024-12-31"}  # as if a grant spanned two years
    # Under the grant (10,000, 60%), critical illness passed in: R 18,480 − C 7,462 = A 11,018 each time.
    granted = {**example_1, "identities": ["illness_poverty"], "illness_poverty_grant": grant,
               "bill": {**example_1["bill"], "critical_illness_paid": "7462"}}
    granted_2024 = {**granted, "discharged_on": "2024-02-20"}
    async with asgi_client(app) as client:
        chained = await client.post("/v1/calculations:batch", headers=auth(Role.SERVICE), json={
            "chained": True, "items": [example_1, example_2, next_year]})
        unchained = await client.post("/v1/calculations:batch", headers=auth(Role.SERVICE), json={
            "items": [example_1, example_2]})
        across = await client.post("/v1/calculations:batch", headers=auth(Role.SERVICE), json={
            "chained": True, "items": [granted, granted_2024]})
        broken = await client.post("/v1/calculations:batch", headers=auth(Role.SERVICE), json={
            "chained": True, "items": [{**example_1, "region_code": "110101"}, example_2]})
    for answer in (chained, across, broken):
        assert answer.content == BatchResult.model_validate_json(answer.content).model_dump_json().encode()
    first, second, third = (item["result"] for item in chained.json()["items"])
    assert (second["assistance"], second["re_assistance"], second["personal_share"]) == (
        "14000.00", "492.52", "13007.48")
    assert third["assistance"] == "8814.40" and third["year_to_date_after"]["admissions"] == 1
    assert unchained.json()["items"][1]["result"]["re_assistance"] == "0.00"  # each item on its own balances
    # 2023: (11,018 − 10,000) × 60% = 610.80; 2024, the grant's base 11,018 → 22,036: 12,036 × 60% − 610.80 = 6,610.80.
    assert [item["result"]["assistance"] for item in across.json()["items"]] == ["610.80", "6610.80"]
    assert [item["problem"]["code"] for item in broken.json()["items"]] == ["no_policy", "previous_item_failed"]
