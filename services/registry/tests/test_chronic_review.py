"""A class A filing awaiting its quarterly review is decided within 20 working days (the guide on
门诊慢病病种待遇确认备案: 自审核之日起20个工作日办结), counted in the State Council's working days."""

from datetime import date

from services.registry.chronic.rules import review_due_on


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
