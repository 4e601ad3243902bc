"""Which audited changes are events, and the days each affects (changes.rules), without a server."""

from datetime import UTC, date, datetime

import pytest

from services.registry.changes.rules import change_of, changed_window
from services.registry.identities.rules import Window

AT = datetime(2023, 6, 20, 2, 0, tzinfo=UTC)
ID_NUMBER = "370602199001011239"
D = date


def _identity(effective_from: str, effective_until: str | None = None, category: str = "minimum_allowance") -> dict:  # type: ignore[type-arg]
    return {"identity_id": "k", "category": category, "effective_from": effective_from,
            "effective_until": effective_until}


@pytest.mark.parametrize(("before", "after", "changed"), [
    ([], [Window(D(2023, 3, 1), None)], Window(D(2023, 3, 1), None)),  # added
    ([Window(D(2023, 3, 1), None)], [Window(D(2023, 2, 1), None)], Window(D(2023, 2, 1), D(2023, 3, 1))),  # earlier
    ([Window(D(2023, 2, 1), None)], [Window(D(2023, 2, 1), D(2023, 7, 1))], Window(D(2023, 7, 1), None)),  # ended
    ([Window(D(2023, 2, 1), D(2023, 7, 1))], [Window(D(2023, 2, 1), None)], Window(D(2023, 7, 1), None)),  # reopened
    # later start and earlier end: both edges changed, the days between did not (one window holds both)
    ([Window(D(2023, 2, 1), D(2023, 9, 1))], [Window(D(2023, 4, 1), D(2023, 6, 1))],
     Window(D(2023, 2, 1), D(2023, 9, 1))),
    # two windows merged into one: the gap between them now counts
    ([Window(D(2023, 1, 1), D(2023, 3, 1)), Window(D(2023, 5, 1), None)], [Window(D(2023, 1, 1), None)],
     Window(D(2023, 3, 1), D(2023, 5, 1))),
    # only the document number corrected: no day changed, the window itself is named
    ([Window(D(2023, 2, 1), None)], [Window(D(2023, 2, 1), None)], Window(D(2023, 2, 1), None)),
])
def test_the_changed_window_holds_exactly_the_days_that_changed(
    before: list[Window], after: list[Window], changed: Window,
) -> None:
    assert changed_window(before, after) == changed


def test_an_illness_poverty_identity_is_a_grant() -> None:
    change = change_of("identity_added", ID_NUMBER, AT, None,
                       _identity("2022-06-01", "2024-01-01", category="illness_poverty"))
    assert change is not None
    assert (change.type, change.effective_from, change.effective_until) == (
        "grant.approved", D(2022, 6, 1), D(2024, 1, 1))


def test_a_list_merging_two_identities_names_the_gap() -> None:
    before = {"merged": [_identity("2023-01-01", "2023-03-01"), _identity("2023-05-01")]}
    change = change_of("identity_merged", ID_NUMBER, AT, before, _identity("2023-01-01"))
    assert change is not None
    assert (change.type, change.effective_from, change.effective_until) == (
        "identity.corrected", D(2023, 3, 1), D(2023, 5, 1))


def test_a_registration_is_an_enrolment_event_without_the_persons_name() -> None:
    insurance = {"effective_from": "2020-01-01", "status": "active", "insurance_type": "resident", "reason": "登记"}
    change = change_of("person_registered", ID_NUMBER, AT, None,
                       {"name": "张三", "region_code": "370602", "insurance_type": "resident", "insurance": insurance})
    assert change is not None
    assert (change.type, change.effective_from, change.effective_until, change.after) == (
        "enrolment.registered", D(2020, 1, 1), None, insurance)


def test_filings_affect_the_days_they_cover() -> None:
    pending = {"disease_code": "M03900", "filed_on": "2023-05-10", "status": "pending", "effective_from": None}
    filed = change_of("chronic_filed", ID_NUMBER, AT, None, pending)
    assert filed is not None and (filed.type, filed.effective_from) == ("chronic_filing.filed", D(2023, 5, 10))
    ended_filing = {**pending, "status": "in_force", "effective_from": "2023-05-11", "last_day": "2023-08-31"}
    chronic_ended = change_of("chronic_ended", ID_NUMBER, AT, pending, ended_filing)
    assert chronic_ended is not None
    assert (chronic_ended.type, chronic_ended.effective_from, chronic_ended.effective_until) == (
        "chronic_filing.ended", D(2023, 9, 1), None)  # last day of benefits 2023-08-31
    out = {"valid_from": "2023-03-01", "valid_until": "2023-12-31", "last_day": "2023-06-30"}
    ended = change_of("out_of_region_ended", ID_NUMBER, AT, {**out, "last_day": None}, out)
    assert ended is not None
    # the last day covered is 2023-06-30: July to the end of the validity (31 December, inclusive) changed
    assert (ended.type, ended.effective_from, ended.effective_until) == (
        "out_of_region_filing.ended", D(2023, 7, 1), D(2024, 1, 1))


def test_a_change_no_settlement_depends_on_is_no_event_and_an_unknown_one_is_a_bug() -> None:
    assert change_of("person_updated", ID_NUMBER, AT, {"name": "甲"}, {"name": "乙"}) is None
    assert change_of("application_submitted", ID_NUMBER, AT, None, {"status": "submitted"}) is None
    with pytest.raises(ValueError, match="neither an event nor listed"):
        change_of("identity_teleported", ID_NUMBER, AT, None, {})
