"""The next-month rule (000 item 5, 004 §二(二)), as pure functions.

An identity approved on any day of month M counts from the first day of M+1; one ended in month
M stops counting from the first day of M+1. A window is [effective_from, effective_until).
"""

from dataclasses import dataclass
from datetime import date


def first_day_of_next_month(day: date) -> date:
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


@dataclass(frozen=True, slots=True)
class Window:
    effective_from: date
    effective_until: date | None  # exclusive; None = open-ended

    def contains(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_until is None or day < self.effective_until)

    def overlaps(self, other: "Window") -> bool:
        if self.empty or other.empty:
            return False
        starts_before_other_ends = other.effective_until is None or self.effective_from < other.effective_until
        ends_after_other_starts = self.effective_until is None or other.effective_from < self.effective_until
        return starts_before_other_ends and ends_after_other_starts

    @property
    def empty(self) -> bool:
        return self.effective_until is not None and self.effective_until <= self.effective_from


def identity_window(approved_on: date, ended_on: date | None = None) -> Window:
    if ended_on is not None and ended_on < approved_on:
        raise ValueError("ended_on is before approved_on")
    return Window(
        effective_from=first_day_of_next_month(approved_on),
        effective_until=first_day_of_next_month(ended_on) if ended_on is not None else None,
    )
