"""Hospitals as ops run them, through the real services over HTTP on PostgreSQL: a Tai'erzhuang
hospital registered with an agreement settles a 低保 discharge; a suspension reaches settlement
within seconds (the catalog's change sequence), not after the cache's minute."""

import time
from decimal import Decimal as D

import httpx
import pytest

from shared.auth import Role
from shared.clock import today
from tests.e2e.conftest import Platform
from tests.e2e.settlement_support import register_taierzhuang_hospital
from tests.support.people import new_id_number

pytestmark = pytest.mark.e2e


def taierzhuang_minimum_allowance(platform: Platform, auth) -> str:  # type: ignore[no-untyped-def]
    id_number = new_id_number("370405")
    registry, ops = platform.urls["registry"], auth(Role.OPS)
    assert httpx.post(f"{registry}/v1/persons", headers=ops, json={
        "id_number": id_number, "name": "台儿庄测试", "insurance_type": "resident", "region_code": "370405",
    }).status_code == 201
    # Approved in December 2022: counts from 2023-01-01 (the next-month rule).
    assert httpx.post(f"{registry}/v1/persons/{id_number}/identities", headers=ops, json={
        "category": "minimum_allowance", "document_number": "台民低保〔2022〕9号", "approved_on": "2022-12-10",
    }).status_code == 201
    return id_number


def settle(platform: Platform, auth, code: str, id_number: str, serial: str, day: str, bill: dict) -> httpx.Response:  # type: ignore[no-untyped-def,type-arg]
    return httpx.post(f"{platform.urls['settlement']}/v1/settlements", headers=auth(Role.HIS, hospital_code=code),
                      timeout=30, json={
                          "his_serial": serial, "hospital_code": code, "id_number": id_number,
                          "insurance_type": "resident", "medical_type": "inpatient", "admitted_on": day,
                          "discharged_on": day, "bill": bill,
                      })


def test_a_taierzhuang_minimum_allowance_discharge_at_a_registered_district_hospital(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    code, _ = register_taierzhuang_hospital(platform, auth)
    id_number = taierzhuang_minimum_allowance(platform, auth)
    # By hand, docs/rules.md §4 and §6 (台民字〔2017〕26号 §四: 低保 inpatient 70%, cap 10,000 a year):
    #   policy range S = 23,456.78 − 1,234.56 full self-pay − 222.22 pre-self-pay = 22,000.00
    #   basic insurance (from the core) 13,000.00; critical illness (from the core) 0
    #   assistance base = 22,000.00 − 13,000.00 − 0 = 9,000.00
    #   assistance = 9,000.00 × 70% = 6,300.00 (under the 10,000 cap; no re-assistance in the 2017 plan)
    #   personal share = 23,456.78 − 13,000.00 − 0 − 6,300.00 = 4,156.78
    response = settle(platform, auth, code, id_number, "TEZ-1", "2023-03-20", {
        "total": "23456.78", "full_self_pay": "1234.56", "pre_self_pay": "222.22",
        "basic_insurance_paid": "13000.00", "critical_illness_paid": "0",
    })
    assert response.status_code == 201, response.text
    statement = response.json()
    amounts = {line["label"]: D(line["amount"]) for line in statement["funds"]}
    assert amounts["基本医保统筹基金"] == D("13000.00")
    assert amounts["医疗救助"] == D("6300.00")
    assert sum(amounts.values()) == D("19300.00")
    assert D(statement["personal_share"]) == D("4156.78")
    assert statement["total"] == "23456.78"


def test_a_suspension_today_is_refused_today_within_seconds(platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    code, agreement_id = register_taierzhuang_hospital(platform, auth)
    id_number = taierzhuang_minimum_allowance(platform, auth)
    day = today().isoformat()
    bill = {"total": "1000.00", "basic_insurance_paid": "400.00", "critical_illness_paid": "0"}
    assert settle(platform, auth, code, id_number, "TEZ-S1", day, bill).status_code == 201  # now in the cache
    agreement = f"{platform.urls['catalog']}/v1/hospitals/{code}/agreements/{agreement_id}"
    assert httpx.post(f"{agreement}/suspension", headers=auth(Role.OPS), json={
        "suspended_from": day, "reason": "违规整改 (under rectification)"}).status_code == 200

    def first_answer_that(wanted: int, serial: str) -> tuple[httpx.Response, float]:
        # The cache would answer for 60 s; the change sequence (polled every second) must evict first.
        started = time.monotonic()
        while True:
            response = settle(platform, auth, code, id_number, f"{serial}-{time.monotonic_ns()}", day, bill)
            if response.status_code == wanted or time.monotonic() - started > 10:
                return response, time.monotonic() - started
            time.sleep(0.2)

    refused, waited = first_answer_that(422, "TEZ-S2")
    assert (refused.status_code, refused.json()["code"]) == (422, "hospital_not_designated") and waited < 10
    assert httpx.post(f"{agreement}/suspension/lift", headers=auth(Role.OPS), json={
        "lifted_on": day, "reason": "误操作撤销 (entered in error)"}).status_code == 200
    settled, waited = first_answer_that(201, "TEZ-S3")
    assert settled.status_code == 201 and waited < 10
