"""The item catalog's rules, pure: how a fee line splits (docs/rules.md §4 step 1, §11) and what a
catalog file changes (decided before anything is written: the dry run's answer is the import's work).

Classification of one charge line, by the catalog entry in force on the line's date:
- no entry in force (丙类, or a known code whose entry has ended or not yet begun): the whole amount
  is full self-pay (全自费);
- a price limit below the unit price: over-limit self-pay (超限价自费) = (unit price − limit) × quantity;
- 乙类: pre-self-pay (先行自付) = ratio × (amount − over-limit), i.e. the ratio of what is within the limit;
- 甲类: neither; the amount within the limit is all policy range.
Each part is rounded to the fen per line, ROUND_HALF_UP. A charge line's parts never exceed its amount.

A refund line (退费) gives back its original's parts in proportion to the quantity refunded, whatever
its own date: the refunds of one original so far give back each part × refunded / charged quantity,
rounded to the fen, less what earlier refunds gave back. So refunds that together refund the whole
quantity give back exactly what the charge took.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal

from shared.contracts.items import Classification, ClassifiedLine, FeeLine, line_problem
from shared.money import ZERO, to_yuan


@dataclass(frozen=True, slots=True)
class Entry:
    """One version of a catalog entry; `valid_to` is its last day in force (None: open)."""

    code: str
    name: str
    kind: str
    category: str
    pre_self_pay_ratio: Decimal
    price_limit: Decimal | None
    valid_from: date
    valid_to: date | None = None
    row_id: int | None = None

    def in_force(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)

    def terms(self) -> tuple[object, ...]:
        return (self.name, self.kind, self.category, self.pre_self_pay_ratio, self.price_limit)


def entry_on(versions: Sequence[Entry], on: date) -> Entry | None:
    return next((entry for entry in versions if entry.in_force(on)), None)


Parts = tuple[Decimal, Decimal, Decimal]
"""(full self-pay, over-limit self-pay, pre-self-pay)"""


def split_line(line: FeeLine, entry: Entry | None) -> Parts:
    """The parts of one charge line."""
    amount = line.amount
    if entry is None or entry.category == "C":
        return amount, ZERO, ZERO
    over_limit = ZERO
    if entry.price_limit is not None and line.unit_price > entry.price_limit:
        # within the amount (the amount may be below quantity × price by a fen)
        over_limit = min(to_yuan((line.unit_price - entry.price_limit) * line.quantity), amount)
    pre_self_pay = ZERO
    if entry.category == "B":
        pre_self_pay = to_yuan(entry.pre_self_pay_ratio * (amount - over_limit))
    return ZERO, over_limit, pre_self_pay


@dataclass(slots=True)
class _Charge:
    """A charge line as its refunds need it: its entry, its parts, and what its refunds took back so far."""

    line: FeeLine
    entry: Entry | None
    parts: Parts
    refunded: Decimal = Decimal(0)
    returned: Parts = (ZERO, ZERO, ZERO)

    def refund(self, line: FeeLine) -> Parts:
        self.refunded -= line.quantity
        share = self.refunded / self.line.quantity
        full, over_limit, pre = (to_yuan(part * share) for part in self.parts)
        before_full, before_over_limit, before_pre = self.returned
        self.returned = (full, over_limit, pre)
        return before_full - full, before_over_limit - over_limit, before_pre - pre


def classify(lines: Sequence[FeeLine], versions: Mapping[str, Sequence[Entry]], service_date: date) -> Classification:
    """Every charge line split by the entry in force on its date (`service_date` for a line without
    one), every refund by its original's (lines checked by `check_fee_lines`: a refund follows its
    original). A code the catalog has never had is refused (`unknown_item_code`), naming the line."""
    classified = []
    charges: dict[str, _Charge] = {}
    for index, line in enumerate(lines, start=1):
        known = versions.get(line.item_code)
        if not known:
            raise line_problem(index, line, f"医保目录中无此编码 {line.item_code} (unknown item code)",
                               "unknown_item_code")
        on = line.occurred_on or service_date
        if line.original_sn is None:
            entry = entry_on(known, on)
            full, over_limit, pre = split_line(line, entry)
            charges[line.feedetl_sn] = _Charge(line, entry, (full, over_limit, pre))
        else:
            charge = charges[line.original_sn]
            entry = charge.entry
            full, over_limit, pre = charge.refund(line)
        classified.append(ClassifiedLine(
            feedetl_sn=line.feedetl_sn, original_sn=line.original_sn, item_code=line.item_code,
            item_name=entry.name if entry else None, category=entry.category if entry else None,  # type: ignore[arg-type]
            quantity=line.quantity, unit_price=line.unit_price, amount=line.amount, occurred_on=on,
            full_self_pay=full, over_limit_self_pay=over_limit, pre_self_pay=pre,
        ))
    return Classification.of(classified)


# --- importing a catalog file ---------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class CatalogRow:
    """One row of a catalog file: its entry, or why it could not be read."""

    row_no: int
    code: str
    entry: Entry | None
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    row_no: int
    code: str
    outcome: str  # accepted / rejected
    action: str | None = None  # added / changed / unchanged / ended
    reason_code: str | None = None
    message: str | None = None


COUNTS = ("accepted", "rejected", "added", "changed", "unchanged", "ended")
REJECTIONS = {
    "bad_row": "该行无法读取 (unreadable row)",
    "duplicate_row": "与前面的行编码与开始日期相同 (repeats the code and start date of an earlier row)",
    "before_latest_entry": "开始日期早于该编码已有的最新条目，且不是其中任何条目的开始日期 (starts before the latest"
                           " entry of the code without being the start of one: correct a past entry under its own"
                           " 开始日期)",
    "overlaps_later_entry": "结束日期晚于该编码下一条目的开始日期 (ends after the next entry of the code begins)",
}


@dataclass
class Plan:
    outcomes: list[Outcome] = field(default_factory=list)
    inserts: dict[tuple[str, date], Entry] = field(default_factory=dict)
    updates: dict[int, Entry] = field(default_factory=dict)  # row id → the version as it becomes

    def count(self, key: str) -> int:
        return sum(1 for o in self.outcomes if key in (o.outcome, o.action))

    def counts(self) -> dict[str, int]:
        return {key: self.count(key) for key in COUNTS}

    def changes(self) -> list[Outcome]:
        """What a dry run shows: every row rejected, added, changed or ended."""
        return [o for o in self.outcomes if o.action != "unchanged"]

    def rejections(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.outcome == "rejected"]


def _rejected(row: CatalogRow, code: str, detail: str | None = None) -> Outcome:
    return Outcome(row.row_no, row.code, "rejected", reason_code=code,
                   message=REJECTIONS[code] + (f"：{detail}" if detail else ""))


def plan_catalog(rows: Iterable[CatalogRow], current: Mapping[str, Sequence[Entry]]) -> Plan:
    """`current`: every stored version of the codes the rows name.

    A row whose code and 开始日期 match a stored version corrects it (unchanged when equal; `ended`
    when only an end date is newly given). A row starting after the code's latest version is a new
    version (`added` for a new code, `changed` otherwise) and closes the latest on the day before.
    Rows of one code are taken in the order of their start dates."""
    plan = Plan()
    seen: set[tuple[str, date]] = set()
    by_code: dict[str, list[CatalogRow]] = {}
    for row in rows:
        if row.entry is None:
            plan.outcomes.append(_rejected(row, "bad_row", row.problem))
            continue
        key = (row.code, row.entry.valid_from)
        if key in seen:
            plan.outcomes.append(_rejected(row, "duplicate_row"))
            continue
        seen.add(key)
        by_code.setdefault(row.code, []).append(row)
    for code, code_rows in by_code.items():
        versions = list(current.get(code, ()))
        for row in sorted(code_rows, key=lambda r: r.entry.valid_from):  # type: ignore[union-attr]
            plan.outcomes.append(_apply(plan, versions, row))
    plan.outcomes.sort(key=lambda o: o.row_no)
    return plan


def _apply(plan: Plan, versions: list[Entry], row: CatalogRow) -> Outcome:
    """One row against the code's versions (stored, and planned by earlier rows of the file)."""
    new = row.entry
    assert new is not None
    position = next((i for i, v in enumerate(versions) if v.valid_from == new.valid_from), None)
    if position is not None:
        old = versions[position]
        later = versions[position + 1] if position + 1 < len(versions) else None
        if later is not None and (new.valid_to is None or new.valid_to >= later.valid_from):
            return _rejected(row, "overlaps_later_entry", later.valid_from.isoformat())
        if old.terms() == new.terms() and old.valid_to == new.valid_to:
            return Outcome(row.row_no, row.code, "accepted", "unchanged")
        ends = old.terms() == new.terms() and new.valid_to is not None
        versions[position] = _write(plan, old, replace(new, row_id=old.row_id))
        return Outcome(row.row_no, row.code, "accepted", "ended" if ends else "changed")
    latest = versions[-1] if versions else None
    if latest is not None and new.valid_from < latest.valid_from:
        return _rejected(row, "before_latest_entry", latest.valid_from.isoformat())
    if latest is not None and (latest.valid_to is None or latest.valid_to >= new.valid_from):
        versions[-1] = _write(plan, latest, replace(latest, valid_to=new.valid_from - timedelta(days=1)))
    versions.append(new)
    plan.inserts[(new.code, new.valid_from)] = new
    return Outcome(row.row_no, row.code, "accepted", "added" if latest is None else "changed")


def _write(plan: Plan, old: Entry, new: Entry) -> Entry:
    """A version rewritten: a stored one is updated, one planned by this file replaced."""
    if old.row_id is None:
        plan.inserts[(new.code, new.valid_from)] = new
    else:
        plan.updates[old.row_id] = new
    return new
