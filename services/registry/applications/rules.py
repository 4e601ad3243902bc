"""Illness-caused poverty by application (004 §三(七), docs/rules.md §3): the grant window. Pure."""

from datetime import date

from services.registry.identities.rules import Window


def look_back_start(applied_on: date) -> date:
    """可追溯至申请之月前12个月: the first day of the twelfth month before the application month."""
    return date(applied_on.year - 1, applied_on.month, 1)


def grant_window(applied_on: date, approved_on: date, previous_until: date | None = None) -> Window:
    """One grant covers the look-back start to 31 December of the approval year (docs/rules.md §3
    Decision); it never covers again what an earlier grant covered (one cost, one grant)."""
    start = look_back_start(applied_on)
    if previous_until is not None and previous_until > start:
        start = previous_until
    return Window(start, date(approved_on.year + 1, 1, 1))
