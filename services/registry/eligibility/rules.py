"""Who a person is on a date, as the records stand now or as they stood at a past moment: pure,
over rows already loaded."""

from collections.abc import Iterable
from datetime import date, datetime

from services.registry.chronic.models import ChronicFilingRow
from services.registry.chronic.rules import ended_by
from services.registry.identities.models import IdentityRow
from services.registry.identities.rules import Window
from services.registry.persons.models import InsuranceEventRow
from shared.categories import PRECEDENCE, Category


def as_recorded(versions: Iterable[IdentityRow], at: datetime | None) -> list[IdentityRow]:
    """The versions that were the current ones at `at` (None: now)."""
    if at is None:
        return [v for v in versions if v.superseded_at is None]
    return [v for v in versions if v.recorded_at <= at and (v.superseded_at is None or v.superseded_at > at)]


def identities_in_force(identities: Iterable[IdentityRow], on: date) -> list[IdentityRow]:
    """The identities whose window contains `on`, in the precedence of docs/rules.md §1."""
    in_force = [i for i in identities if Window(i.effective_from, i.effective_until).contains(on)]
    return sorted(in_force, key=lambda i: (PRECEDENCE.index(Category(i.category)), i.id))


def filings_in_force(
    filings: Iterable[ChronicFilingRow], on: date, at: datetime | None = None,
) -> list[ChronicFilingRow]:
    """Filings giving benefits on `on`, as the records stood at `at`: one approved after `at` was
    still pending then, one ended after `at` still gave them."""
    return [f for f in filings if f.status == "in_force" and f.effective_from is not None
            and f.effective_from <= on and (at is None or (f.decided_at or f.created_at) <= at)
            and not ended_by(f.last_day, f.ended_at, on, at)]


def insurance_on(events: Iterable[InsuranceEventRow], on: date, at: datetime | None = None) -> InsuranceEventRow | None:
    """The enrolment event in effect on `on` (the latest effective one; for the same day, the one
    recorded last), counting only events recorded by `at`."""
    known = [e for e in events if e.effective_from <= on and (at is None or e.recorded_at <= at)]
    return max(known, key=lambda e: (e.effective_from, e.recorded_at, e.id), default=None)
