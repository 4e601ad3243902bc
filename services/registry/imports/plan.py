"""What a pushed list changes, decided before anything is written (the same plan is the dry run's
answer and the import's work). Pure: every fact it needs is passed in.

Rules (docs/rules.md §3, issue 5):
- a row is rejected, with its reason, for a bad ID number, a duplicate of an earlier row, an unknown
  region, a region other than the person's, a person the registry does not know or who is not
  insured on the list date, or (full list) a person outside the list's region;
- an accepted row adds the identity from the month after its approval date (the list date when
  the row has none); if the person already holds the category over that window the row changes
  nothing; if it overlaps other windows of the category they become one window, from the earliest
  approval, open-ended (merged) rather than duplicated;
- a full list is this month's complete list of a region: whoever holds the category there but is
  not on it has the identity ended on the list date, so it stops counting from the next month.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from services.registry.identities.rules import Window, first_day_of_next_month, identity_window
from shared.categories import Category
from shared.id_number import InvalidIdNumber, parse
from shared.regions import inside


@dataclass(frozen=True, slots=True)
class ListRow:
    row_no: int
    id_number: str
    name: str | None = None
    region_code: str | None = None
    document_number: str | None = None
    approved_on: date | None = None
    problem: str | None = None  # a field that could not be read (a bad date, a long name...)


@dataclass(frozen=True, slots=True)
class HeldIdentity:
    """A current version of the list's category that the person holds."""

    row_id: int
    identity_key: str
    document_number: str
    approved_on: date
    ended_on: date | None
    effective_from: date
    effective_until: date | None

    @property
    def window(self) -> Window:
        return Window(self.effective_from, self.effective_until)


@dataclass(frozen=True, slots=True)
class PersonState:
    person_id: int
    id_number: str
    name: str
    region_code: str
    insured: bool  # enrolment active on the list date
    held: tuple[HeldIdentity, ...] = ()


@dataclass(frozen=True, slots=True)
class ListSpec:
    category: Category
    mode: str  # incremental / full
    list_date: date
    document_number: str
    region_code: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    row_no: int | None
    id_number: str
    name: str | None  # the list's, else the registered one: a clerk finds the row by it
    outcome: str  # accepted / rejected
    action: str | None = None  # added / merged / unchanged / ended
    reason_code: str | None = None
    message: str | None = None
    person_id: int | None = None


@dataclass(frozen=True, slots=True)
class Merge:
    """Identities of the category whose windows the row overlaps, to become one from `approved_on`."""

    person: PersonState
    held: tuple[HeldIdentity, ...]
    approved_on: date


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a list is refused as a whole (nothing of it written); a dry run says it up front."""

    code: str
    detail: str


@dataclass
class Plan:
    outcomes: list[Outcome] = field(default_factory=list)
    additions: list[tuple[PersonState, ListRow, Window]] = field(default_factory=list)
    reopenings: list[Merge] = field(default_factory=list)
    unidentified: int = 0  # rows whose ID number cannot be read: a full list cannot tell who they are
    endings: list[tuple[PersonState, HeldIdentity]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {key: self.count(key) for key in COUNTS}

    def count(self, key: str) -> int:
        return sum(1 for o in self.outcomes if key in (o.outcome, o.action))

    def refusal(self, spec: ListSpec) -> Refusal | None:
        if spec.mode == "full" and self.unidentified:
            return Refusal("full_list_has_unidentified_rows",
                           f"完整名单中有{self.unidentified}行身份证号无法识别，无法确定名单外人员；请更正后重发"
                           " (a full list with unreadable ID numbers cannot say who is missing: correct it and"
                           " send it again, under the same batch id)")
        return None

    def changes(self) -> list[Outcome]:
        """What a dry run shows: every row rejected and every identity added, merged or ended."""
        return [o for o in self.outcomes if o.outcome == "rejected" or o.action in ("added", "merged", "ended")]

    def rejections(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.outcome == "rejected"]


COUNTS = ("accepted", "rejected", "added", "merged", "unchanged", "ended")
"""What a batch reports: outcomes (accepted / rejected) and what accepted rows did."""

REJECTIONS = {
    "bad_row": "该行无法读取 (unreadable row)",
    "bad_id_number": "身份证号码无效 (invalid ID number)",
    "duplicate_row": "与前面的行重复 (repeats an earlier row)",
    "unknown_region": "区划代码不存在 (no such region code)",
    "region_mismatch": "区划与登记不符 (not the registered region)",
    "person_not_found": "参保登记中无此人 (not in the insurance register)",
    "person_not_insured": "名单日期未参保 (not insured on the list date)",
    "outside_list_region": "不在本名单区划内 (outside the list's region)",
}
ENDED = "不在本月完整名单中，次月起停止 (missing from this month's full list: stops from next month)"
MERGED = "与已有身份期间重叠或衔接，合并为一个身份 (overlaps or adjoins a window held: merged into one)"


def _rejected(
    row: ListRow, code: str, id_number: str | None = None, detail: str | None = None, person: PersonState | None = None,
) -> Outcome:
    message = REJECTIONS[code] + (f"：{detail}" if detail else "")
    name = row.name or (person.name if person else None)
    return Outcome(row.row_no, id_number or row.id_number, name, "rejected", reason_code=code, message=message)


def ending_stops_on(spec: ListSpec) -> date:
    """A person missing from a full list stops counting from the first day of the next month."""
    return first_day_of_next_month(spec.list_date)


def still_counts_after(held: HeldIdentity, day: date) -> bool:
    return held.effective_until is None or held.effective_until > day


def plan_import(
    spec: ListSpec, rows: Iterable[ListRow], persons: Mapping[str, PersonState], known_regions: set[str],
    members: Iterable[PersonState] = (),
) -> Plan:
    """`persons`: the registry's state of every person the rows name (by normalized ID number);
    `members`: for a full list, everyone in its region who holds the category."""
    plan = Plan()
    seen: set[str] = set()
    for row in rows:
        try:
            id_number = parse(row.id_number).value
        except InvalidIdNumber as exc:
            plan.unidentified += 1
            plan.outcomes.append(_rejected(row, "bad_row" if row.problem else "bad_id_number",
                                           detail=row.problem or str(exc)))
            continue
        if id_number in seen:
            plan.outcomes.append(_rejected(row, "duplicate_row", id_number))
            continue
        seen.add(id_number)  # on the list, even if the row is rejected: a full list never ends them
        if row.problem is not None:
            plan.outcomes.append(_rejected(row, "bad_row", id_number, row.problem))
            continue
        if row.region_code is not None and row.region_code not in known_regions:
            plan.outcomes.append(_rejected(row, "unknown_region", id_number, row.region_code))
            continue
        person = persons.get(id_number)
        if person is None:
            plan.outcomes.append(_rejected(row, "person_not_found", id_number))
            continue
        if row.region_code is not None and row.region_code != person.region_code:
            plan.outcomes.append(_rejected(row, "region_mismatch", id_number, person.region_code, person))
            continue
        if spec.mode == "full" and spec.region_code and not inside(person.region_code, spec.region_code):
            plan.outcomes.append(_rejected(row, "outside_list_region", id_number, person=person))
            continue
        if not person.insured:
            plan.outcomes.append(_rejected(row, "person_not_insured", id_number, person=person))
            continue
        plan.outcomes.append(_accept(plan, spec, row, person))
    if spec.mode == "full":
        stops = ending_stops_on(spec)
        for member in members:
            if member.id_number in seen:
                continue
            for held in member.held:
                # approved after the list's date: the list predates it and says nothing about it
                if still_counts_after(held, stops) and held.approved_on <= spec.list_date:
                    plan.endings.append((member, held))
                    plan.outcomes.append(Outcome(None, member.id_number, member.name, "accepted", "ended",
                                                 message=ENDED, person_id=member.person_id))
    return plan


def _accept(plan: Plan, spec: ListSpec, row: ListRow, person: PersonState) -> Outcome:
    approved_on = row.approved_on or spec.list_date
    window = identity_window(approved_on)
    overlapping = [h for h in person.held if h.window.overlaps(window)]
    name = row.name or person.name
    if not overlapping:
        plan.additions.append((person, row, window))
        return Outcome(row.row_no, person.id_number, name, "accepted", "added", person_id=person.person_id)
    [only] = overlapping if len(overlapping) == 1 else [None]
    if only is not None and only.effective_until is None and only.effective_from <= window.effective_from:
        return Outcome(row.row_no, person.id_number, name, "accepted", "unchanged", person_id=person.person_id)
    # Overlapping windows become one, from the earliest approval and open-ended: never two windows
    # of one category over the same months.
    plan.reopenings.append(Merge(person, tuple(overlapping), min(approved_on, *(h.approved_on for h in overlapping))))
    return Outcome(row.row_no, person.id_number, name, "accepted", "merged", person_id=person.person_id,
                   message=MERGED)
