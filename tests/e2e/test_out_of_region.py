"""Out-of-region care over HTTP on PostgreSQL (docs/rules.md §12): outside the person's city a
discharge settles one-stop only with a filing in force for the hospital; otherwise a 422 that points
to the manual claim, writes nothing and gives the serial back."""

from decimal import Decimal as D

import httpx
import pytest

from shared.auth import Role
from tests.e2e.conftest import Platform, fetch
from tests.e2e.settlement_support import EXAMPLE_1, beneficiary, funds, register_taierzhuang_hospital, settle
from tests.support.people import new_id_number


@pytest.fixture(scope="module")
def tai_erzhuang_hospital(platform: Platform, auth) -> str:  # type: ignore[no-untyped-def]
    """Outside Yantai (the catalog's 231 hospitals are all in Yantai): registered by ops, with an
    agreement for one-stop settlement."""
    return register_taierzhuang_hospital(platform, auth)[0]


def _file(platform: Platform, auth, id_number: str, **body: object) -> dict:  # type: ignore[no-untyped-def,type-arg]
    filed = httpx.post(f"{platform.urls['registry']}/v1/persons/{id_number}/out-of-region-filings",
                       headers=auth(Role.OPS), json=body)
    assert filed.status_code == 201, filed.text
    return filed.json()


def _nothing_written(platform: Platform, id_number: str) -> None:
    database = platform.databases["settlement"]
    assert fetch(database, "SELECT id FROM settlements WHERE id_number = $1", id_number) == []
    assert fetch(database, "SELECT id_number FROM person_years WHERE id_number = $1", id_number) == []


def test_out_of_region_without_a_filing_is_refused_with_the_manual_claim_then_settles_once_filed(
    platform: Platform, auth, tai_erzhuang_hospital: str,  # type: ignore[no-untyped-def]
) -> None:
    id_number = beneficiary(platform, auth, "minimum_allowance")  # 芝罘区, Yantai
    refused = settle(platform, auth, id_number, "OOR-1", EXAMPLE_1, hospital_code=tai_erzhuang_hospital)
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert refused.headers["content-type"] == "application/problem+json"
    assert problem["code"] == "out_of_region_not_filed"
    assert "手工（零星）报销" in problem["detail"] and "claim by hand" in problem["detail"]
    assert (problem["person_region_code"], problem["hospital_region_code"]) == ("370602", "370405")
    assert problem["manual_claim"]["claim"] == "医疗救助对象手工（零星）报销"
    _nothing_written(platform, id_number)

    # an incomplete emergency filing is not in force: still refused
    emergency = _file(platform, auth, id_number, kind="emergency", destination_region_code="370405",
                      hospital_code=tai_erzhuang_hospital, filed_on="2023-03-05", valid_from="2023-03-01",
                      documents_received=["identity_card"])
    assert [d["code"] for d in emergency["missing_documents"]] == ["emergency_record", "inpatient_record_copy"]
    again = settle(platform, auth, id_number, "OOR-1", EXAMPLE_1, hospital_code=tai_erzhuang_hospital)
    assert again.status_code == 422 and again.json()["code"] == "out_of_region_not_filed", again.text
    _nothing_written(platform, id_number)

    completed = httpx.post(
        f"{platform.urls['registry']}/v1/persons/{id_number}/out-of-region-filings/{emergency['filing_id']}/documents",
        headers=auth(Role.OPS), json={"documents_received": ["emergency_record", "inpatient_record_copy"]})
    assert completed.status_code == 200 and completed.json()["in_force"] is True, completed.text
    # the serial was given back: the same one settles, under Yantai 2023, docs/rules.md §8 example 1
    settled = settle(platform, auth, id_number, "OOR-1", EXAMPLE_1, hospital_code=tai_erzhuang_hospital)
    assert settled.status_code == 201, settled.text
    assert settled.json()["policy_id"] == "yantai-2023"
    assert funds(settled.json()) == (D("26520"), D("7462.00"), D("8814.40"), D("0"), D("7203.60"))


def test_a_filing_covers_only_its_hospital_or_region_and_inside_the_city_none_is_needed(
    platform: Platform, auth, tai_erzhuang_hospital: str,  # type: ignore[no-untyped-def]
) -> None:
    # registered in Tai'erzhuang (Zaozhuang), treated at a Yantai hospital: out of region
    id_number = new_id_number()
    assert httpx.post(f"{platform.urls['registry']}/v1/persons", headers=auth(Role.OPS), json={
        "id_number": id_number, "name": "台儿庄人", "insurance_type": "resident", "region_code": "370405",
    }).status_code == 201
    _file(platform, auth, id_number, kind="referral", destination_region_code="370600", hospital_code="060002",
          filed_on="2023-03-01")  # a referral to another Yantai hospital
    _file(platform, auth, id_number, kind="long_term_residence", destination_region_code="110100",
          filed_on="2023-01-01", documents_received=["identity_card", "residence_proof"])  # living in Beijing
    refused = settle(platform, auth, id_number, "OOR-2", EXAMPLE_1)  # at 060001, 市直, Yantai
    assert refused.status_code == 422 and refused.json()["code"] == "out_of_region_not_filed", refused.text
    assert refused.json()["person_region_code"] == "370405"
    _nothing_written(platform, id_number)

    # a Yantai person (芝罘区) at a hospital of 市直: the same city, no filing needed
    local = beneficiary(platform, auth, "minimum_allowance")
    assert settle(platform, auth, local, "OOR-3", EXAMPLE_1).status_code == 201
