"""Corrections (docs/rules.md §17): which settlements a late change can affect, where each year's
replay starts and from which balances, what a replayed settlement changes, and who decides. Pure.

A replay runs a person-year's settlements in discharge order (ties: the order they were settled) from
the first affected one; the ones before it keep their figures and give the balances it starts from.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from services.settlement.changes.rules import CANCELLED, CORRECTED, SETTLED
from services.settlement.ledger.models import ACCUMULATORS
from services.settlement.settlements.funds import FUND_LABELS
from shared.categories import OWNER, Agency, Category

FUNDS = (*FUND_LABELS, "personal_share")
"""The figures a proposal compares, each to the fen (a statement's funds and the personal share)."""

ZERO = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class Reason:
    """A change a proposal follows: an event of registry's feed or of settlement's own."""

    source: str
    event_id: int
    type: str
    effective_from: date | None
    effective_until: date | None
    settlement_id: str | None = None  # a settlement's own event: which settlement

    def as_json(self) -> dict[str, Any]:
        return {"source": self.source, "event_id": self.event_id, "type": self.type,
                "effective_from": self.effective_from.isoformat() if self.effective_from else None,
                "effective_until": self.effective_until.isoformat() if self.effective_until else None,
                "settlement_id": self.settlement_id}

    @classmethod
    def of_json(cls, value: dict[str, Any]) -> "Reason":
        return cls(value["source"], value["event_id"], value["type"],
                   date.fromisoformat(value["effective_from"]) if value["effective_from"] else None,
                   date.fromisoformat(value["effective_until"]) if value["effective_until"] else None,
                   value.get("settlement_id"))


@dataclass(frozen=True, slots=True)
class Settled:
    """One of the person's settlements as the repository reads it."""

    id: str
    year: int
    discharged_on: date
    settled_at: datetime
    status: str  # settled / cancelled

    @property
    def order(self) -> tuple[date, datetime, str]:
        """Discharge order; settlements of one day in the order they were settled."""
        return self.discharged_on, self.settled_at, self.id


def starts(reasons: Iterable[Reason], settlements: Sequence[Settled]) -> dict[int, tuple[date, datetime, str]]:
    """Per year, the order of the first settlement to replay (inclusive), over every reason:
    - a settlement cancelled: the settled settlements of its year after it in discharge order;
    - a settlement settled, or a correction approved: none by itself (each was computed as things
      stood), but a proposal pending for the person is computed again with it;
    - any other change (identity, grant, enrolment, filing): the settled settlements discharged inside
      its window [effective_from, effective_until)."""
    first: dict[int, tuple[date, datetime, str]] = {}
    by_id = {s.id: s for s in settlements}
    settled = sorted((s for s in settlements if s.status == "settled"), key=lambda s: s.order)
    for reason in reasons:
        if reason.type in (SETTLED, CORRECTED):
            continue
        if reason.type == CANCELLED:
            cancelled = by_id.get(reason.settlement_id or "")
            hit = [] if cancelled is None else [
                s for s in settled if s.year == cancelled.year and s.order > cancelled.order]
        else:
            hit = [s for s in settled if inside(s.discharged_on, reason.effective_from, reason.effective_until)]
        for s in hit:
            if s.year not in first or s.order < first[s.year]:
                first[s.year] = s.order
    return first


def inside(day: date, start: date | None, until: date | None) -> bool:
    return (start is None or day >= start) and (until is None or day < until)


def replayed(settlements: Sequence[Settled], first: dict[int, tuple[date, datetime, str]]) -> list[Settled]:
    """The settled settlements to replay, in discharge order across the years (a grant runs across them)."""
    return sorted((s for s in settlements if s.status == "settled" and s.year in first and s.order >= first[s.year]),
                  key=lambda s: s.order)


def balances_before(balances: dict[str, Decimal], contributions: Iterable[dict[str, Decimal]]) -> dict[str, Decimal]:
    """A year's balances less what the replayed settlements put in (their entries: settlement and
    earlier adjustments): the balances the replay starts from."""
    left = dict(balances)
    for contribution in contributions:
        for name, amount in contribution.items():
            left[name] -= amount
    return left


def contribution(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Decimal]:
    """What one calculation puts into each accumulator (`year_to_date_after` − `year_to_date`)."""
    return {name: Decimal(str(after[name])) - Decimal(str(before.get(name, 0))) for name in ACCUMULATORS}


def adjustment(current: dict[str, Decimal], replay: dict[str, Decimal]) -> dict[str, Decimal]:
    """What approval books for one settlement: the replay's contribution less what it has put in so far
    (only the accumulators that move)."""
    return {name: replay.get(name, ZERO) - current.get(name, ZERO) for name in ACCUMULATORS
            if replay.get(name, ZERO) != current.get(name, ZERO)}


def split_by_sign(deltas: dict[str, Decimal]) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    """(decreases, increases). Approval books every decrease of a year before any increase: a balance
    then never dips below zero on the way (a settlement's decrease is at most what it put in)."""
    return ({k: v for k, v in deltas.items() if v < 0}, {k: v for k, v in deltas.items() if v > 0})


@dataclass(frozen=True, slots=True)
class ItemFigures:
    settlement_id: str
    funds_before: dict[str, Decimal]
    funds_after: dict[str, Decimal]
    deltas: dict[str, Decimal]
    identity_before: str | None
    identity_after: str | None

    @property
    def changes_anything(self) -> bool:
        return bool(self.deltas) or self.funds_before != self.funds_after or self.identity_before != self.identity_after


@dataclass(frozen=True, slots=True)
class Outcome:
    """A replay's result: the items whose figures or accumulators change (none: no proposal)."""

    items: list[ItemFigures] = field(default_factory=list)

    @property
    def changes_anything(self) -> bool:
        return any(i.changes_anything for i in self.items)

    @property
    def paid_to_person(self) -> Decimal:
        """What the person paid too much (>0, to pay back) or too little (<0, to recover): the personal shares."""
        return sum((i.funds_before["personal_share"] - i.funds_after["personal_share"] for i in self.items), ZERO)


PAY, RECOVER = "pay", "recover"
MONEY_MOVES = (PAY, RECOVER)
"""An approved proposal's `payment` when the person is to be paid back or money recovered from them."""


def payment(paid_to_person: Decimal) -> str:
    return PAY if paid_to_person > 0 else RECOVER if paid_to_person < 0 else "none"


def payment_done(kind: str) -> str:
    """The action a payment's record adds to the proposal's history, and its status in the list."""
    return "paid" if kind == PAY else "recovered"


def payment_due(status: str, kind: str | None) -> bool:
    """Whether a proposal leaves money to pay or recover: approved, with a personal share that moved."""
    return status == APPROVED and kind in MONEY_MOVES


def deciding_agencies(categories: Iterable[str | None]) -> list[str]:
    """Who may decide (**Decision**): civil affairs always (000 §二 5 leaves the correction to it);
    rural revitalization too when every identity concerned (applied before or after) is one of its
    lists (返贫致贫, 监测帮扶, 建档立卡). The token's agency is checked against this."""
    concerned = {Category(c) for c in categories if c}
    agencies = [Agency.CIVIL_AFFAIRS.value]
    if concerned and all(OWNER.get(c) is Agency.RURAL_REVITALIZATION for c in concerned):
        agencies.append(Agency.RURAL_REVITALIZATION.value)
    return agencies


PENDING, APPROVED, REJECTED, SUPERSEDED = "pending", "approved", "rejected", "superseded"


def refusal(status: str) -> tuple[str, str] | None:
    """Why a proposal in `status` cannot be decided: (code, message), or None when it can."""
    if status == SUPERSEDED:
        return "proposal_superseded", ("该更正建议已被后来的变更取代，请处理最新的建议"
                                       " (superseded by a later change: decide the new one)")
    if status in (APPROVED, REJECTED):
        return "proposal_decided", "该更正建议已处理 (this proposal was already decided)"
    return None
