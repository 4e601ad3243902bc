"""The next-month rule (000 item 5, 004 §二(二)) at month and year ends, without a database."""

from datetime import date

import pytest

from services.registry.eligibility.rules import identities_in_force
from services.registry.identities.models import IdentityRow
from services.registry.identities.rules import Window, first_day_of_next_month, identity_window


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2023, 1, 1), date(2023, 2, 1)),
        (date(2023, 1, 31), date(2023, 2, 1)),
        (date(2023, 2, 28), date(2023, 3, 1)),
        (date(2024, 2, 29), date(2024, 3, 1)),
        (date(2023, 12, 1), date(2024, 1, 1)),
        (date(2023, 12, 31), date(2024, 1, 1)),
    ],
)
def test_first_day_of_next_month(day: date, expected: date) -> None:
    assert first_day_of_next_month(day) == expected


def test_identity_added_on_the_last_day_of_the_year_counts_from_january() -> None:
    window = identity_window(date(2023, 12, 31))
    assert not window.contains(date(2023, 12, 31))
    assert window.contains(date(2024, 1, 1))


def test_identity_added_on_the_first_of_a_month_still_waits_for_the_next() -> None:
    window = identity_window(date(2023, 3, 1))
    assert not window.contains(date(2023, 3, 31))
    assert window.contains(date(2023, 4, 1))


def test_identity_ended_counts_to_the_end_of_that_month() -> None:
    window = identity_window(date(2023, 3, 15), ended_on=date(2023, 11, 2))
    assert window == Window(date(2023, 4, 1), date(2023, 12, 1))
    assert window.contains(date(2023, 11, 30))
    assert not window.contains(date(2023, 12, 1))


def test_identity_ended_in_december_stops_on_new_year() -> None:
    window = identity_window(date(2022, 5, 5), ended_on=date(2023, 12, 31))
    assert window.contains(date(2023, 12, 31))
    assert not window.contains(date(2024, 1, 1))


def test_added_and_ended_in_the_same_month_never_counts() -> None:
    window = identity_window(date(2023, 6, 3), ended_on=date(2023, 6, 20))
    assert window.empty
    assert not window.contains(date(2023, 7, 1))
    assert not window.overlaps(identity_window(date(2023, 1, 1)))


def test_end_before_approval_is_refused() -> None:
    with pytest.raises(ValueError):
        identity_window(date(2023, 6, 3), ended_on=date(2023, 6, 2))


def test_overlap_of_windows() -> None:
    first = identity_window(date(2023, 1, 10), ended_on=date(2023, 5, 31))  # [02-01, 06-01)
    assert not first.overlaps(identity_window(date(2023, 5, 10)))  # from 06-01: adjacent
    assert first.overlaps(identity_window(date(2023, 4, 10)))  # from 05-01
    assert identity_window(date(2020, 1, 1)).overlaps(identity_window(date(2023, 1, 1)))


def _row(identity_id: int, category: str, approved: date, ended: date | None = None) -> IdentityRow:
    window = identity_window(approved, ended)
    return IdentityRow(
        id=identity_id, category=category, approved_on=approved, ended_on=ended,
        effective_from=window.effective_from, effective_until=window.effective_until,
    )


def test_in_force_lists_identities_in_policy_order() -> None:
    rows = [
        _row(1, "allowance_margin", date(2023, 1, 5)),
        _row(2, "minimum_allowance", date(2023, 2, 5)),
        _row(3, "extreme_poverty", date(2022, 1, 5), ended=date(2022, 12, 31)),
    ]
    assert [r.id for r in identities_in_force(rows, date(2023, 2, 28))] == [1]
    assert [r.id for r in identities_in_force(rows, date(2023, 3, 1))] == [2, 1]
    assert [r.id for r in identities_in_force(rows, date(2022, 12, 31))] == [3]
