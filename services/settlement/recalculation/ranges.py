"""A recalculation batch over a date range (docs/rules.md §16): the settlements already in the
platform discharged in the range, each person's years replayed by the corrections' replay
(`CorrectionService.replay`: discharge order, chained through assistance's `calculations:batch`,
under the policies and identities now) and set against what each paid. Nothing here writes a
settlement or the ledger."""

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Row

from services.settlement.changes.rules import RECALCULATED
from services.settlement.corrections.rules import FUNDS, Reason
from services.settlement.corrections.service import CorrectionService, ReplayRefused
from services.settlement.recalculation.rules import group_chunks, windows

NOT_REPLAYABLE = "not_replayable"
GONE = "范围内的结算已撤销，无可重算 (the range's settlements were cancelled since: nothing to replay)"


def persons_of(settlements: Sequence[Row], to_date: date, chunk_rows: int) -> list[dict[str, Any]]:
    """The range's persons (settlements by person, in discharge order) with their windows and chunk:
    about `chunk_rows` settlements a chunk, a person never cut (a grant runs across their years)."""
    by_person: dict[str, list[Row]] = {}
    for settlement in settlements:
        by_person.setdefault(settlement.id_number, []).append(settlement)
    chunks = group_chunks((len(rows) for rows in by_person.values()), chunk_rows)
    return [{
        "id_number": id_number, "chunk": chunk, "settlements": len(rows), "settlement_ids": [r.id for r in rows],
        "windows": [[start.isoformat(), until.isoformat()]
                    for start, until in windows((r.discharged_on for r in rows), to_date)],
        "computed": False, "problem_code": None, "reason": None,
    } for (id_number, rows), chunk in zip(by_person.items(), chunks, strict=True)]


def window_of(person_windows: list[list[str]], year: int) -> tuple[date, date]:
    """The person's window of `year`, as a change event carries it."""
    start, until = next(w for w in person_windows if date.fromisoformat(w[0]).year == year)
    return date.fromisoformat(start), date.fromisoformat(until)


async def replay_person(corrections: CorrectionService, person: Row) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One person of the batch: (the person's outcome, the settlements replayed). A settlement that
    cannot be replayed leaves the person not replayed, with why; a peer that fails raises (the chunk
    is taken up again on resume)."""
    reasons = [Reason("settlement", 0, RECALCULATED, date.fromisoformat(start), date.fromisoformat(until))
               for start, until in person.windows]
    outcome = {"id_number": person.id_number, "problem_code": None, "reason": None}
    try:
        found = await corrections.replay(person.id_number, reasons)
    except ReplayRefused as exc:
        return {**outcome, "problem_code": NOT_REPLAYABLE, "reason": str(exc)[:500]}, []
    if found is None:
        return {**outcome, "reason": GONE}, []
    rows, replay = found
    in_range = set(person.settlement_ids)
    return outcome, [{
        "settlement_id": row.id, "id_number": row.id_number, "position": item["position"], "year": row.year,
        "discharged_on": row.discharged_on, "hospital_code": row.hospital_code, "in_range": row.id in in_range,
        "changed": figures.changes_anything, "identity_before": figures.identity_before,
        "identity_after": figures.identity_after,
        **{f"{name}_before": figures.funds_before[name] for name in FUNDS},
        **{f"{name}_after": figures.funds_after[name] for name in FUNDS},
    } for row, item, figures in zip(rows, replay.items, replay.outcome.items, strict=True)]
