"""Every timestamp a service answers with carries its offset, also on SQLite (the `make run` store),
which keeps none: registry records, list imports, filings, applications and settlements."""

import httpx
import pytest

from shared.auth import Role
from tests.e2e.conftest import Platform
from tests.support.people import new_id_number
from tests.support.timestamps import timestamps, without_offset

pytestmark = pytest.mark.e2e


def test_every_timestamp_in_every_response_has_its_offset(sqlite_platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    registry, settlement = sqlite_platform.urls["registry"], sqlite_platform.urls["settlement"]
    ops, civil, his = auth(Role.OPS), auth(Role.AGENCY, agency="civil_affairs"), auth(Role.HIS)
    number = new_id_number()
    person = f"{registry}/v1/persons/{number}"
    answers = [httpx.post(f"{registry}/v1/persons", headers=ops, json={
        "id_number": number, "name": "时区测试", "insurance_type": "resident", "region_code": "370602",
        "insured_from": "2020-01-01"})]
    answers.append(httpx.post(f"{registry}/v1/imports", headers=civil, json={
        "batch_id": "TZ-1", "category": "minimum_allowance", "list_date": "2022-12-10", "document_number": "X",
        "rows": [{"id_number": number}]}))
    answers.append(httpx.post(f"{person}/chronic-filings", headers=ops, json={
        "disease_code": "B01", "hospital_code": "060001", "filed_on": "2023-01-10"}))
    answers.append(httpx.post(f"{person}/illness-poverty-applications", headers=civil,
                              json={"applied_on": "2023-06-15"}))
    settled = httpx.post(f"{settlement}/v1/settlements", headers=his, timeout=30, json={
        "his_serial": "TZ-S1", "hospital_code": "060001", "id_number": number, "insurance_type": "resident",
        "medical_type": "inpatient", "admitted_on": "2023-03-01", "discharged_on": "2023-03-20",
        "bill": {"total": "50000", "full_self_pay": "3000", "pre_self_pay": "2000",
                 "basic_insurance_paid": "26520"}})
    answers.append(settled)
    settlement_id = settled.json()["settlement_id"]
    answers += [
        httpx.get(f"{settlement}/v1/settlements/{settlement_id}", headers=his),
        httpx.post(f"{settlement}/v1/settlements/{settlement_id}/cancel", headers=ops, timeout=30,
                   json={"reason": "时区测试"}),
        httpx.post(f"{settlement}/v1/admissions", headers=his, timeout=30, json={
            "admission_number": "TZ-A1", "hospital_code": "060001", "id_number": number,
            "admitted_on": "2023-04-01"}),
        httpx.get(person, headers=ops),
        httpx.get(f"{person}/identities", headers=ops),
        httpx.get(f"{person}/insurance", headers=ops),
        httpx.get(f"{person}/history", headers=ops),
        httpx.get(f"{person}/chronic-filings", headers=ops),
        httpx.get(f"{person}/illness-poverty-applications", headers=ops),
        httpx.get(f"{person}/eligibility", headers=ops,
                  params={"on": "2023-03-01", "as_recorded_at": "2099-01-01T08:00:00+08:00"}),
    ]
    assert [r.status_code for r in answers if r.status_code >= 300] == [], [r.text for r in answers]
    stamps = [t for r in answers for t in timestamps(r.json())]
    assert {"created_at", "recorded_at", "at", "settled_at", "cancelled_at", "as_recorded_at"} <= {
        key for key, _ in stamps}
    assert without_offset(stamps) == []
