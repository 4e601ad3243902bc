"""Which discharges need an out-of-region filing, and which filings cover a hospital. Pure."""

import pytest

from services.settlement.lookups import Patient, ensure_filed_if_out_of_region
from shared.errors import Unprocessable


def _patient(region: str | None, *cover: tuple[str, str | None]) -> Patient:
    return Patient([], None, region, out_of_region_cover=tuple(cover))


@pytest.mark.parametrize(("patient", "hospital", "hospital_region"), [
    (_patient("370602"), "060001", "370601"),  # 芝罘区 person at a 市直 hospital: one city
    (_patient("370672"), "060001", "370613"),  # 开发区 person in 莱山区
    (_patient(None), "990405", "370405"),  # not in the registry: no region to compare
    (_patient("370602", ("370400", None)), "990405", "370405"),  # living in Zaozhuang: any hospital there
    (_patient("370602", ("370000", None)), "990405", "370405"),  # a province-wide destination
    (_patient("370602", ("370405", "990405")), "990405", "370405"),  # referred to that hospital
])
def test_settles_one_stop(patient: Patient, hospital: str, hospital_region: str) -> None:
    ensure_filed_if_out_of_region(patient, hospital, hospital_region)


@pytest.mark.parametrize(("patient", "hospital", "hospital_region"), [
    (_patient("370405"), "060001", "370601"),  # Tai'erzhuang person at a Yantai hospital
    (_patient("370602"), "990405", "370405"),
    (_patient("370602", ("370405", "990406")), "990405", "370405"),  # referred to another hospital
    (_patient("370602", ("110100", None)), "990405", "370405"),  # filed for Beijing
])
def test_refused_with_the_manual_claim(patient: Patient, hospital: str, hospital_region: str) -> None:
    with pytest.raises(Unprocessable) as refused:
        ensure_filed_if_out_of_region(patient, hospital, hospital_region)
    assert refused.value.code == "out_of_region_not_filed"
    assert refused.value.extra["manual_claim"]["claim"] == "医疗救助对象手工（零星）报销"
