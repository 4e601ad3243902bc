"""High-cost monitoring (烟政办发〔2022〕25号 四(九)) over real HTTP: settlements posted by a HIS, a month
run by ops, the lists read by each agency. The platform is this module's own, so the figures are exact.
Worked by hand from the Yantai 2023 policy (critical illness for persons outside the tilt: 14,000 起付,
60% up to 100,000) and the 2022 placeholder income figure 37,560.00 (lines 18,780.00 and 56,340.00)."""

import httpx
import pytest

from shared.auth import Role
from tests.e2e.conftest import Platform
from tests.e2e.settlement_support import beneficiary, funds, register_taierzhuang_hospital, settle
from tests.e2e.test_change_events import _eventually

pytestmark = pytest.mark.e2e


def _statement(response: httpx.Response) -> dict:  # type: ignore[type-arg]
    assert response.status_code == 201, response.text
    return response.json()


def test_a_monitoring_person_and_an_ordinary_person_are_flagged_and_served_to_their_agencies(  # type: ignore[no-untyped-def]
    platform: Platform, auth,
) -> None:
    settlement = platform.urls["settlement"]
    monitored = beneficiary(platform, auth, "poverty_monitoring")
    ordinary = beneficiary(platform, auth, None)
    # 1st: policy range 18,000, burden after basic 8,000 (under 14,000: no critical illness); 20,000 − 10,000 = 10,000.
    first = _statement(settle(platform, auth, monitored, "HC-M-1", {
        "total": "20000", "full_self_pay": "2000", "basic_insurance_paid": "10000"},
        admitted_on="2023-03-01", discharged_on="2023-03-05"))
    # 2nd: range 24,000, burden 10,000, 18,000 in the year: (18,000 − 14,000) × 60% = 2,400;
    # 26,000 − 14,000 − 2,400 = 9,600. The year: 19,600, above 18,780.
    second = _statement(settle(platform, auth, monitored, "HC-M-2", {
        "total": "26000", "full_self_pay": "2000", "basic_insurance_paid": "14000"},
        admitted_on="2023-03-15", discharged_on="2023-03-25"))
    assert [str(funds(s)[1]) for s in (first, second)] == ["0.00", "2400.00"]
    # No identity: range 180,000, burden 100,000: (100,000 − 14,000) × 60% = 51,600;
    # 200,000 − 80,000 − 51,600 = 68,400, above 56,340.
    third = _statement(settle(platform, auth, ordinary, "HC-O-1", {
        "total": "200000", "full_self_pay": "20000", "basic_insurance_paid": "80000"}))
    assert str(funds(third)[1]) == "51600.00"
    # A Tai'erzhuang person with no identity at a Tai'erzhuang hospital: 200,000 − 80,000 basic − 0
    # critical illness = 120,000, far past 56,340, but settled under Tai'erzhuang's policy: not measured.
    taierzhuang = beneficiary(platform, auth, None, region_code="370405")
    hospital, _ = register_taierzhuang_hospital(platform, auth)
    tez = _statement(settle(platform, auth, taierzhuang, "HC-T-1", {
        "total": "200000", "basic_insurance_paid": "80000", "critical_illness_paid": "0"}, hospital_code=hospital))
    assert (tez["policy_id"], tez["personal_share"]) == ("taierzhuang-2017", "120000.00")

    run = httpx.post(f"{settlement}/v1/alerts/high-cost/runs", headers=auth(Role.OPS), json={"month": "2023-03"})
    assert run.status_code == 201, run.text
    body = run.json()
    assert {k: body[k] for k in ("month", "income_year", "income", "income_verified", "monitored_line",
                                 "ordinary_line", "flagged")} == {
        "month": "2023-03", "income_year": 2022, "income": "37560.00", "income_verified": False,
        "monitored_line": "18780.00", "ordinary_line": "56340.00", "flagged": 2}
    assert [(a["id_number"], a["threshold"], a["category"], a["burden"], a["settlements"]) for a in body["items"]] == [
        (monitored, "monitored", "poverty_monitoring", "19600.00", 2), (ordinary, "ordinary", None, "68400.00", 1)]
    again = httpx.post(f"{settlement}/v1/alerts/high-cost/runs", headers=auth(Role.OPS), json={"month": "2023-03"})
    assert (again.status_code, again.json()["flagged"], again.json()["items"]) == (201, 0, [])

    # Published on settlement's feed, one event per new flag (the run again published nothing).
    def published() -> list[tuple[str, str, list[str], str]]:
        page = httpx.get(f"{settlement}/v1/changes", params={"limit": 1000},
                         headers=auth(Role.SERVICE, audience=["settlement"])).json()
        return [(e["id_number"], e["after"]["threshold"], e["after"]["agencies"], e["after"]["burden"])
                for e in page["changes"] if e["type"] == "high_cost_alert.flagged"]

    assert _eventually(published, 2) == [
        (monitored, "monitored", ["rural_revitalization"], "19600.00"),
        (ordinary, "ordinary", ["civil_affairs", "rural_revitalization"], "68400.00")]

    def listed(headers: dict[str, str], **params: object) -> list[tuple[str, str | None]]:
        response = httpx.get(f"{settlement}/v1/alerts/high-cost", headers=headers, params={"year": 2023} | params)
        assert response.status_code == 200, response.text
        return [(a["id_number"], a["category"]) for a in response.json()["items"]]

    masked_monitored, masked_ordinary = (f"{n[:6]}********{n[-4:]}" for n in (monitored, ordinary))
    assert listed(auth(Role.AGENCY, agency="rural_revitalization")) == [
        (masked_monitored, "poverty_monitoring"), (masked_ordinary, None)]
    assert listed(auth(Role.AGENCY, agency="civil_affairs")) == [(masked_ordinary, None)]
    assert listed(auth(Role.AGENCY, agency="civil_affairs", scopes=["pii:read"])) == [(ordinary, None)]
    assert listed(auth(Role.OPS), month="2023-03", threshold="monitored") == [(monitored, "poverty_monitoring")]
    assert listed(auth(Role.OPS), month="2023-04") == []

    refused = httpx.post(f"{settlement}/v1/alerts/high-cost/runs", headers=auth(Role.OPS), json={"month": "2025-01"})
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "income_figure_missing"
    assert httpx.post(f"{settlement}/v1/alerts/high-cost/runs", headers=auth(Role.AGENCY),
                      json={"month": "2023-03"}).status_code == 403
    assert httpx.get(f"{settlement}/v1/alerts/high-cost", headers=auth(Role.HIS),
                     params={"year": 2023}).status_code == 403
    bad_month = httpx.get(f"{settlement}/v1/alerts/high-cost", headers=auth(Role.OPS),
                          params={"year": 2023, "month": "2023-13"})
    assert bad_month.status_code == 422
    other_year = httpx.get(f"{settlement}/v1/alerts/high-cost", headers=auth(Role.OPS),
                           params={"year": 2023, "month": "2024-03"})
    assert (other_year.status_code, other_year.json()["code"]) == (422, "month_not_in_year")
    figures = httpx.get(f"{settlement}/v1/alerts/high-cost/income-figures", headers=auth(Role.AGENCY))
    assert [(f["year"], f["amount"], f["verified"]) for f in figures.json()] == [
        (2022, "37560.00", False), (2023, "39890.00", False)]
