"""The catalog on PostgreSQL, loaded by its migrations from the 2018 notice's list."""

import csv
from collections import Counter

import pytest
from httpx import AsyncClient

from services.catalog.app import SERVICE_DIR
from shared.auth import Role

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_all_231_hospitals_of_the_2018_notice_are_loaded(client: AsyncClient, auth) -> None:  # type: ignore[no-untyped-def]
    page = await client.get("/v1/hospitals", params={"region_code": "370600", "limit": 500}, headers=auth(Role.HIS))
    assert page.status_code == 200
    body = page.json()
    assert body["total"] == 231 and len(body["items"]) == 231
    assert all(h["designated"] and h["agreement"]["starts_on"] == "2018-05-22" and h["level"] is None
               for h in body["items"])
    with (SERVICE_DIR / "data" / "designated_hospitals_2018.csv").open(encoding="utf-8") as f:
        expected = Counter(row["district"] for row in csv.DictReader(f))
    assert Counter(h["region"]["name"] for h in body["items"]) == expected
    assert expected["莱州市"] == 28 and expected["高新区"] == 1


async def test_hospital_by_code_with_its_region_path(client: AsyncClient, auth) -> None:  # type: ignore[no-untyped-def]
    response = await client.get("/v1/hospitals/053548", headers=auth(Role.HIS))
    assert response.status_code == 200
    hospital = response.json()
    assert hospital["name"] == "烟台经济技术开发区古现医院"
    assert hospital["region"]["name"] == "开发区"
    assert [r["code"] for r in hospital["region_path"]] == ["370000", "370600"]
    before = await client.get("/v1/hospitals/053548", params={"on": "2018-05-21"}, headers=auth(Role.HIS))
    assert before.json()["designated"] is False


async def test_filters_and_pages(client: AsyncClient, auth) -> None:  # type: ignore[no-untyped-def]
    zhifu = await client.get("/v1/hospitals", params={"region_code": "370602"}, headers=auth(Role.OPS))
    assert zhifu.json()["total"] == 13
    named = await client.get("/v1/hospitals", params={"name": "中医"}, headers=auth(Role.OPS))
    assert named.json()["total"] > 0 and all("中医" in h["name"] for h in named.json()["items"])
    literal = await client.get("/v1/hospitals", params={"name": "%"}, headers=auth(Role.OPS))
    assert literal.json()["total"] == 0
    second = await client.get("/v1/hospitals", params={"limit": 2, "offset": 2}, headers=auth(Role.OPS))
    first = await client.get("/v1/hospitals", params={"limit": 4}, headers=auth(Role.OPS))
    assert second.json()["items"] == first.json()["items"][2:]
    taierzhuang = await client.get("/v1/hospitals", params={"region_code": "370405"}, headers=auth(Role.OPS))
    assert taierzhuang.json()["total"] == 0


async def test_unknown_codes_are_404_problems(client: AsyncClient, auth) -> None:  # type: ignore[no-untyped-def]
    hospital = await client.get("/v1/hospitals/999999", headers=auth(Role.OPS))
    assert hospital.status_code == 404 and hospital.json()["code"] == "hospital_not_found"
    region = await client.get("/v1/hospitals", params={"region_code": "110000"}, headers=auth(Role.OPS))
    assert region.status_code == 404 and region.json()["code"] == "region_not_found"
    malformed = await client.get("/v1/hospitals/abc", headers=auth(Role.OPS))
    assert malformed.status_code == 422


async def test_region_tree(client: AsyncClient, auth) -> None:  # type: ignore[no-untyped-def]
    tree = (await client.get("/v1/regions", headers=auth(Role.AGENCY))).json()
    assert [r["name"] for r in tree] == ["山东省"]
    cities = {c["name"]: c for c in tree[0]["children"]}
    assert set(cities) == {"烟台市", "枣庄市"}
    yantai = {d["name"] for d in cities["烟台市"]["children"]}
    assert {"开发区", "高新区", "市直", "芝罘区", "蓬莱市", "长岛县"} <= yantai and len(yantai) == 15
    assert [d["name"] for d in cities["枣庄市"]["children"]] == ["台儿庄区"]
    detail = (await client.get("/v1/regions/370405", headers=auth(Role.AGENCY))).json()
    assert [r["name"] for r in detail["path"]] == ["山东省", "枣庄市"] and detail["children"] == []


async def test_catalog_needs_a_token(client: AsyncClient) -> None:
    response = await client.get("/v1/hospitals/060001")
    assert response.status_code == 401
