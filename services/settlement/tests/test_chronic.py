"""Why a person's chronic filings give no outpatient chronic benefits at a hospital on a date (the guide
on 门诊慢病病种待遇确认备案: one chosen hospital, benefits from the day after filing)."""

from datetime import date

import pytest

from services.settlement.settlements.chronic import refusal

ON = date(2023, 5, 12)


def filing(hospital_code: str = "060002", status: str = "in_force", effective_from: str | None = "2023-05-11",  # type: ignore[type-arg]
           last_day: str | None = None, end_reason: str | None = None) -> dict:
    return {"hospital_code": hospital_code, "status": status, "effective_from": effective_from,
            "last_day": last_day, "end_reason": end_reason}


@pytest.mark.parametrize(("filings", "code", "extra"), [
    ([], "chronic_filing_missing", {}),
    ([filing(status="rejected", effective_from=None)], "chronic_filing_missing", {}),
    ([filing(status="pending", effective_from=None)], "chronic_filing_not_yet_in_force", {"effective_from": None}),
    ([filing("060001", effective_from="2023-05-13")], "chronic_filing_not_yet_in_force",
     {"effective_from": "2023-05-13"}),
    ([filing("060002"), filing("060003", effective_from="2023-01-02")], "chronic_filing_other_hospital",
     {"filed_hospital_codes": ["060002", "060003"]}),
    # a filing at another hospital that gives benefits today says more than one here from tomorrow
    ([filing("060001", effective_from="2023-05-13"), filing("060002")], "chronic_filing_other_hospital",
     {"filed_hospital_codes": ["060002"]}),
    # ended: the latest end is named, with its last day
    ([filing("060001", "in_force", "2023-01-02", "2023-03-31", "expired"),
      filing("060001", "in_force", "2023-04-02", "2023-05-11", "moved")], "chronic_filing_ended",
     {"last_day": "2023-05-11", "end_reason": "moved"}),
    # filed again after the end and waiting: the new filing's first day is what the person is told
    ([filing("060001", "in_force", "2023-01-02", "2023-03-31", "revoked"),
      filing("060001", effective_from="2023-05-13")], "chronic_filing_not_yet_in_force",
     {"effective_from": "2023-05-13"}),
])
def test_the_reason_of_a_refusal(filings: list, code: str, extra: dict) -> None:  # type: ignore[type-arg]
    problem = refusal(filings, ON, "060001")
    assert problem is not None and problem.status == 422 and problem.code == code
    assert problem.extra == extra
    assert "(" in problem.detail and problem.detail.index("(") > 0  # Chinese first, English in brackets


def test_benefits_start_the_day_after_filing() -> None:
    assert refusal([filing("060001", effective_from="2023-05-12")], ON, "060001") is None
    assert refusal([filing("060001", effective_from="2023-05-13")], ON, "060001") is not None


def test_an_ended_filing_gives_benefits_up_to_its_last_day() -> None:
    assert refusal([filing("060001", last_day="2023-05-12", end_reason="revoked")], ON, "060001") is None
    problem = refusal([filing("060001", last_day="2023-05-11", end_reason="revoked")], ON, "060001")
    assert problem is not None and problem.code == "chronic_filing_ended"
    assert "2023-05-11" in problem.detail and "撤销" in problem.detail
