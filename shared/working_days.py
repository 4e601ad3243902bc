"""Working days in mainland China, for the deadlines the guides set in working days (烟台市医疗保障局
《烟台市统一医疗保障经办服务办事指南（试行）》（2020-08）: a public notice of 5, a chronic-disease review
of 20): weekdays except public holidays, plus the make-up working days (调休) on weekends."""

from datetime import date, timedelta

import chinese_calendar

from shared.errors import Unprocessable


def calendar_not_covered(year: int) -> Unprocessable:
    return Unprocessable(
        f"工作日历未收录 {year} 年的节假日安排，无法计算工作日期限 (the holiday calendar does not cover {year};"
        " update the chinesecalendar package)", code="calendar_not_covered",
    )


def is_working_day(day: date) -> bool:
    """The kept calendar (chinesecalendar) knows only the years the State Council has published;
    outside them this refuses (422 calendar_not_covered) rather than guess."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError as exc:
        raise calendar_not_covered(day.year) from exc


def nth_working_day(start: date, n: int) -> date:
    """The `n`th working day counted from `start` (itself the first when it is a working day)."""
    day, counted = start, 0
    while True:
        if is_working_day(day):
            counted += 1
            if counted == n:
                return day
        day += timedelta(days=1)
