"""Settlement's own change events: a settlement settled or cancelled. Pure functions.

A settled settlement affects its discharge day; a cancelled one also every later settlement of the
person's year (their balances rested on it), so its window runs to the end of the year. Amounts
are strings (yuan, two places), exact as in the ledger.
"""

from datetime import date, datetime, timedelta
from typing import Any

from shared.outbox import Change

SETTLED, CANCELLED = "settlement.settled", "settlement.cancelled"
CORRECTED = "settlement.corrected"
"""A correction approved: the adjustment entries of its settlements (corrections/)."""
RECALCULATED = "settlement.recalculated"
"""A recalculation batch over a date range approved (recalculation/): the person-year's settlements
inside the window are to be replayed, and the corrections make the proposal."""
FIGURES = ("total", "basic_insurance", "critical_illness", "assistance", "re_assistance", "personal_share")


def _facts(row: Any) -> dict[str, Any]:
    return {"settlement_id": row.id, "hospital_code": row.hospital_code, "medical_type": row.medical_type,
            "discharged_on": row.discharged_on.isoformat()}


def settled(row: Any) -> Change:
    """`row`: the settlement as settled (its columns by name)."""
    return Change(
        type=SETTLED, id_number=row.id_number, effective_from=row.discharged_on,
        effective_until=row.discharged_on + timedelta(days=1), occurred_at=row.settled_at,
        after={**_facts(row), **{name: str(getattr(row, name)) for name in FIGURES}},
    )


def cancelled(row: Any, cancelled_at: datetime) -> Change:
    """`row`: the settlement as cancelled."""
    return Change(
        type=CANCELLED, id_number=row.id_number, effective_from=row.discharged_on,
        effective_until=date(row.discharged_on.year + 1, 1, 1), occurred_at=cancelled_at,
        before={"status": "settled", **{name: str(getattr(row, name)) for name in FIGURES}},
        after={**_facts(row), "status": "cancelled", "reason": row.cancel_reason},
    )


def corrected(id_number: str, proposal_id: str, first_discharge: date, at: datetime, paid_to_person: str) -> Change:
    """A correction approved: its settlements' accumulators moved from the first one's discharge on."""
    return Change(type=CORRECTED, id_number=id_number, effective_from=first_discharge,
                  effective_until=None, occurred_at=at,
                  after={"proposal_id": proposal_id, "paid_to_person": paid_to_person})


def recalculated(id_number: str, batch_id: str, window: tuple[date, date], at: datetime) -> Change:
    """A range batch approved with a difference in this person-year: `window` = [first discharge of
    the batch's settlements in the year, the day after the range or the new year)."""
    return Change(type=RECALCULATED, id_number=id_number, effective_from=window[0], effective_until=window[1],
                  occurred_at=at, after={"batch_id": batch_id})
