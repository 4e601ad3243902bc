"""Which audited changes are change events, and the days each affects. Pure functions.

Every change of the registry is audited (`AuditRepository.record`), with the state before and after;
the changes of enrolment, identity, grant (illness-caused poverty) and filing (chronic, out of
region) are also events, derived here from the same entry, so no write path can audit a change and
forget its event. The window is [effective_from, effective_until) in business dates (until
exclusive, null open-ended): the days on which a settlement's result could differ.
"""

from datetime import date, datetime, timedelta
from typing import Any

from services.registry.identities.rules import Window
from shared.categories import Category
from shared.outbox import Change

IDENTITY_EVENTS = {
    "identity_added": "added", "identity_imported": "added",
    "identity_ended": "ended", "identity_list_ended": "ended",
    "identity_corrected": "corrected", "identity_merged": "corrected",
}
FILING_EVENTS = {
    "chronic_filed": "chronic_filing.filed", "chronic_approved": "chronic_filing.approved",
    "chronic_rejected": "chronic_filing.rejected", "chronic_ended": "chronic_filing.ended",
    "out_of_region_filed": "out_of_region_filing.filed",
    "out_of_region_documents": "out_of_region_filing.documents_received",
    "out_of_region_ended": "out_of_region_filing.ended",
}
ENROLMENT_EVENTS = {"person_registered": "enrolment.registered", "insurance_changed": "enrolment.changed"}
NOT_EVENTS = frozenset({
    "person_updated",  # name and region: no settlement depends on them
    # an application's approval is audited with the identity it grants (identity_added): that is the event
    "application_submitted", "application_approved", "application_rejected",
})


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _window(snapshot: dict[str, Any]) -> Window:
    return Window(date.fromisoformat(snapshot["effective_from"]), _day(snapshot.get("effective_until")))


def changed_window(before: list[Window], after: list[Window]) -> Window:
    """The smallest window holding every day covered before but not after, or after but not before;
    when no day changed (a document number corrected), the windows themselves."""
    points = sorted({w.effective_from for w in before + after} | {w.effective_until for w in before + after
                                                                  if w.effective_until is not None})
    ends: list[date | None] = [*points[1:], None]
    changed = [(start, end) for start, end in zip(points, ends, strict=True)
               if any(w.contains(start) for w in before) != any(w.contains(start) for w in after)]
    if not changed:
        everything = before + after
        return Window(min(w.effective_from for w in everything),
                      None if any(w.effective_until is None for w in everything)
                      else max(w.effective_until for w in everything if w.effective_until))
    return Window(changed[0][0], changed[-1][1])


def _identity(action: str, before: dict[str, Any] | None, after: dict[str, Any]) -> tuple[str, Window]:
    held = before.get("merged", [before]) if before else []
    window = changed_window([_window(h) for h in held], [_window(after)])
    kind = "grant" if after.get("category") == Category.ILLNESS_POVERTY.value else "identity"
    what = IDENTITY_EVENTS[action]
    return f"{kind}.{'approved' if kind == 'grant' and what == 'added' else what}", window


def _inclusive_end(last_day: str | None) -> date | None:
    return date.fromisoformat(last_day) + timedelta(days=1) if last_day else None


def _filing(action: str, after: dict[str, Any]) -> Window:
    if action == "chronic_ended":  # no benefits after the last day
        return Window(_inclusive_end(after["last_day"]) or date.fromisoformat(after["filed_on"]), None)
    if action.startswith("chronic_"):
        return Window(_day(after["effective_from"]) or date.fromisoformat(after["filed_on"]), None)
    until = _inclusive_end(after["valid_until"])
    if action == "out_of_region_ended":
        return Window(_inclusive_end(after["last_day"]) or date.fromisoformat(after["valid_from"]), until)
    return Window(date.fromisoformat(after["valid_from"]), until)


def change_of(
    action: str, id_number: str, at: datetime, before: dict[str, Any] | None, after: dict[str, Any] | None,
) -> Change | None:
    """The event an audited change makes, or None for a change that is not one (`NOT_EVENTS`)."""
    if action in NOT_EVENTS or after is None:
        return None
    if action in IDENTITY_EVENTS:
        kind, window = _identity(action, before, after)
    elif action in FILING_EVENTS:
        kind, window = FILING_EVENTS[action], _filing(action, after)
    elif action in ENROLMENT_EVENTS:
        after = after.get("insurance", after)  # a registration's: its first enrolment, not the name
        kind, window, before = ENROLMENT_EVENTS[action], Window(date.fromisoformat(after["effective_from"]), None), None
    else:
        raise ValueError(f"audited action {action!r} is neither an event nor listed in NOT_EVENTS")
    return Change(type=kind, id_number=id_number, effective_from=window.effective_from,
                  effective_until=window.effective_until, occurred_at=at, before=before, after=after)
