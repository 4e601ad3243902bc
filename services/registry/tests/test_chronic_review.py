"""A class A filing awaiting its quarterly review is decided within 20 working days (the guide on
门诊慢病病种待遇确认备案: 自审核之日起20个工作日办结), counted in the State Council's working days."""

from datetime import UTC, date, datetime

from services.registry.chronic.rules import ended_by, last_day_allowed, review_due_on, review_overdue


def test_twenty_working_days_after_filing_across_a_holiday() -> None:
    # From Saturday 2023-03-11: 13–17, 20–24, 27–31 March are 15; 3, 4, 6, 7 April (5 April is 清明) are
    # 19; Monday 10 April is the 20th.
    assert review_due_on("A", date(2023, 3, 10)) == date(2023, 4, 10)


def test_make_up_working_days_count_and_the_national_day_does_not() -> None:
    # From Saturday 2025-09-27: Sunday 28 September (调休) 1, 29–30 September 3, 1–8 October off,
    # 9–10 October 5, Saturday 11 October (调休) 6, 13–17 October 11, 20–24 October 16, 27–30 October 20.
    assert review_due_on("A", date(2025, 9, 26)) == date(2025, 10, 30)


def test_class_b_has_no_deadline_and_an_unpublished_year_no_guess() -> None:
    assert review_due_on("B", date(2023, 3, 10)) is None
    assert review_due_on("A", date(2099, 3, 10)) is None


def test_overdue_is_the_day_after_the_deadline() -> None:
    assert not review_overdue("A", date(2023, 3, 10), date(2023, 4, 10))
    assert review_overdue("A", date(2023, 3, 10), date(2023, 4, 11))
    assert not review_overdue("B", date(2023, 3, 10), date(2024, 1, 1))  # no deadline, never overdue
    assert not review_overdue("A", date(2099, 3, 10), date(2100, 1, 1))  # unknown deadline: not listed


def test_an_ended_filing_counts_up_to_its_last_day_as_recorded() -> None:
    ended_at = datetime(2023, 7, 3, 2, 0, tzinfo=UTC)
    assert not ended_by(date(2023, 6, 30), ended_at, date(2023, 6, 30))
    assert ended_by(date(2023, 6, 30), ended_at, date(2023, 7, 1))
    # asked as the records stood before the end was recorded: still giving benefits
    assert not ended_by(date(2023, 6, 30), ended_at, date(2023, 7, 1), at=datetime(2023, 7, 2, tzinfo=UTC))
    assert not ended_by(None, None, date(2030, 1, 1))


def test_the_last_day_is_at_the_earliest_the_day_before_benefits() -> None:
    assert last_day_allowed(date(2023, 3, 10), date(2023, 3, 11), date(2023, 3, 10))  # withdrawn
    assert not last_day_allowed(date(2023, 3, 10), date(2023, 3, 11), date(2023, 3, 9))
    assert last_day_allowed(date(2023, 3, 10), None, date(2023, 3, 10))
