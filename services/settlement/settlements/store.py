"""The two writes on every settlement's hot path, behind one interface:

- `claim`: take the HIS serial (the idempotency record) and read the person-year's balances;
- `record`: if the balances are still the ones read, move them, append the ledger entries, store
  the statement and, for an itemized bill, its classified fee lines, all or nothing (False, with
  nothing written, when a concurrent settlement of the same person moved them first, or, for a
  settlement under an illness-poverty grant, moved the grant's version; on PostgreSQL, a lost race
  for a person-year's first row may still move that version, see `_GRANTED`).

On PostgreSQL each is one statement on a bare asyncpg connection, committed on its own; the record
is a data-modifying CTE, atomic as any single statement (no BEGIN/COMMIT round trips). Through
SQLAlchemy the same writes cost several times the CPU (about 0.3–0.6 ms a statement against 0.1 ms
on this machine), and the settlement service is CPU-bound under load. On SQLite (the embedded
default of `make run`) the same writes go through the SQLAlchemy repositories in one transaction.
tests/test_store.py holds both to one contract.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from services.settlement.audit.repository import LookupAuditRepository
from services.settlement.changes.repository import ChangeRepository
from services.settlement.changes.rules import FIGURES, SETTLED, settled
from services.settlement.ledger.models import ACCUMULATORS
from services.settlement.ledger.repository import LedgerRepository, PersonYear
from services.settlement.settlements.funds import OCCASIONAL_FUNDS
from services.settlement.settlements.models import SettlementLineRow
from services.settlement.settlements.repository import CLAIM_LEASE, TAKEN_OVER, SettlementRepository, line_values
from shared.contracts.calculation import Bill, CalculationResult
from shared.contracts.items import ClassifiedLine
from shared.db import Database

if TYPE_CHECKING:
    from services.settlement.settlements.schemas import SettlementRequest


@dataclass(frozen=True)
class GrantRead:
    """The version of an illness-poverty grant as read with its totals (`LedgerRepository.grant_version`)."""

    window_from: date
    version: int


class SettlementStore(Protocol):
    async def claim(
        self, settlement_id: str, request_hash: str, request: "SettlementRequest", looked_up_by: str,
        claimed_at: datetime | None = None, channel: str = "his",
    ) -> PersonYear | None:
        """The person-year's balances, or None when the serial was already taken (a claim still in
        progress after `CLAIM_LEASE` was abandoned: it is taken over). A claim is audited as the
        look-up of the person it leads to, by `looked_up_by` (the token subject), in the same write.
        `channel`: his, or manual for a manual (零星) claim entered by staff."""

    async def read(self, id_number: str, year: int) -> PersonYear: ...

    async def record(
        self, read: PersonYear, settlement_id: str, deltas: dict[str, Decimal], caps: dict[str, Decimal],
        settled_at: datetime, statement: str, bill: Bill, result: CalculationResult,
        grant: GrantRead | None = None, lines: Sequence[ClassifiedLine] | None = None,
        fund_region_code: str | None = None, calculation_input: dict[str, Any] | None = None,
    ) -> bool:
        """`grant`: the settlement was applied under it; its version must not have moved either.
        `lines`: an itemized bill's fee lines, kept with the settlement. `fund_region_code`: the
        district account its assistance draws on (fund/rules.py), written with its figures.
        `calculation_input`: what the calculation was asked, less the day's balances and identities
        (`settlements.service.calculation_input`), for a correction to replay it."""


def settlement_store(database: Database) -> SettlementStore:
    return PostgresStore(database) if database.is_postgresql else PortableStore(database)


class PortableStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def claim(
        self, settlement_id: str, request_hash: str, request: "SettlementRequest", looked_up_by: str,
        claimed_at: datetime | None = None, channel: str = "his",
    ) -> PersonYear | None:
        claimed_at = claimed_at or datetime.now(UTC)
        async with self.database.engine.begin() as connection:
            if not await SettlementRepository(connection).claim(settlement_id, request_hash, request, claimed_at,
                                                                channel):
                return None
            await LookupAuditRepository(connection).record(
                at=claimed_at, actor=looked_up_by, hospital_code=request.hospital_code, id_number=request.id_number,
                purpose="settlement", reference=request.his_serial,
            )
            return await LedgerRepository(connection).read(request.id_number, request.discharged_on.year)

    async def read(self, id_number: str, year: int) -> PersonYear:
        async with self.database.autocommit.connect() as connection:
            return await LedgerRepository(connection).read(id_number, year)

    async def record(
        self, read: PersonYear, settlement_id: str, deltas: dict[str, Decimal], caps: dict[str, Decimal],
        settled_at: datetime, statement: str, bill: Bill, result: CalculationResult,
        grant: GrantRead | None = None, lines: Sequence[ClassifiedLine] | None = None,
        fund_region_code: str | None = None, calculation_input: dict[str, Any] | None = None,
    ) -> bool:
        async with self.database.engine.begin() as connection:
            ledger = LedgerRepository(connection)
            # First, as on PostgreSQL: a settlement no longer in progress raises before anything is written.
            settlement = await SettlementRepository(connection).mark_settled(
                settlement_id, settled_at, statement, bill, result, fund_region_code, calculation_input)
            grant_moved = grant is None or await ledger.move_grant(read.id_number, grant.window_from, grant.version)
            if not grant_moved or await ledger.append(read, settlement_id, "settlement", deltas, caps) is None:
                await connection.rollback()
                return False
            if lines:
                await SettlementRepository(connection).add_lines(settlement_id, lines)
            await ChangeRepository(connection).add(settled(settlement))
            return True


_BALANCES = ", ".join(ACCUMULATORS)
_NEW_BALANCES = ", ".join(f"${n}" for n in range(18, 18 + len(ACCUMULATORS)))

_CLAIM = f"""
WITH claimed AS (
    INSERT INTO settlements (id, hospital_code, his_serial, request_hash, status, id_number, year, medical_type,
                             admitted_on, discharged_on, needs_recalculation, created_at, channel)
    VALUES ($1, $2, $3, $4, 'in_progress', $5, $6, $7, $8, $9, false, $10, $13)
    ON CONFLICT (hospital_code, his_serial) DO UPDATE SET {", ".join(f"{c} = EXCLUDED.{c}" for c in TAKEN_OVER)}
    WHERE settlements.status = 'in_progress' AND settlements.created_at < $11
    RETURNING id
),
audited AS (  -- the look-up the claim leads to (audit.models); a replay claims nothing and looks nobody up
    INSERT INTO person_lookups (at, actor, hospital_code, id_number, purpose, reference)
    SELECT $10, $12, $2, $5, 'settlement', $3 FROM claimed
)
SELECT EXISTS (SELECT FROM claimed) AS claimed, person_years.*
FROM (VALUES (1)) AS one LEFT JOIN person_years ON id_number = $5 AND year = $6
"""

_READ = "SELECT * FROM person_years WHERE id_number = $1 AND year = $2"

# $1 id_number, $2 year, $3 the person-year's entry count after this settlement (the version),
# $4 settlement id, $5–$8 the entries as arrays, $9–$17 the settlement's figures ($11 the identity applied,
# the fund's district account and the calculation input (JSON text, for corrections) in one array;
# $12 the bill's total, full self-pay and over-limit self-pay, for monitoring, then the occasional
# funds, in one array),
# $18–$32 the balances; under a grant, $33 its first day and $34 its version as read.
_MOVE_FIRST = f"""
    INSERT INTO person_years (id_number, year, entries, {_BALANCES}) SELECT $1, $2, $3, {_NEW_BALANCES} FROM pending
    WHERE {{granted}} ON CONFLICT (id_number, year) DO NOTHING RETURNING entries"""
_MOVE_NEXT = f"""
    UPDATE person_years SET entries = $3, ({_BALANCES}) = ROW({_NEW_BALANCES})
    WHERE id_number = $1 AND year = $2 AND entries = $3 - 1 AND EXISTS (SELECT FROM pending) AND {{granted}}
    RETURNING entries"""
# Under a grant its version moves only if the settlement is in progress and, for a person-year that
# has a row, only once that row is locked at the version read (locks in one order: settlement,
# person-year, grant). The first settlement of a person-year has no row to lock: if a concurrent
# first settlement inserts it first, the grant's version has moved for nothing, which only makes a
# concurrent settlement under the grant read again.
_PERSON_YEAR_LOCKED = """current AS (
    SELECT FROM person_years WHERE id_number = $1 AND year = $2 AND entries = $3 - 1 FOR UPDATE
),
"""
_GRANTED = """granted AS (
    UPDATE grant_versions SET version = version + 1 WHERE id_number = $1 AND window_from = $33 AND version = $34
    AND EXISTS (SELECT FROM pending) AND {person_year_locked}
    RETURNING version
),"""
_RECORD = """
WITH pending AS (
    SELECT id FROM settlements WHERE id = $4 AND status = 'in_progress' FOR UPDATE
),
{granted_cte}
moved AS ({move}),
appended AS (
    INSERT INTO ledger_entries (id_number, year, entry_no, settlement_id, accumulator, kind, amount, balance_after, cap)
    SELECT $1, $2, $3, $4, e.accumulator, 'settlement', e.amount, e.balance_after, e.cap
    FROM moved CROSS JOIN unnest($5::text[], $6::numeric[], $7::numeric[], $8::numeric[])
        AS e(accumulator, amount, balance_after, cap)
),
{lines_cte}{event_cte}settled AS (
    UPDATE settlements SET status = 'settled', statement = $9, settled_at = $10,
        identity_applied = ($11::text[])[1], fund_region_code = ($11::text[])[2],
        calculation_input = ($11::text[])[3]::json,
        total = ($12::numeric[])[1], bill_full_self_pay = ($12::numeric[])[2],
        bill_over_limit_self_pay = ($12::numeric[])[3], {occasional}, personal_share = $13, basic_insurance = $14,
        critical_illness = $15, assistance = $16, re_assistance = $17
    WHERE id IN (SELECT id FROM pending) AND EXISTS (SELECT FROM moved)
)
SELECT EXISTS (SELECT FROM pending) AS pending, EXISTS (SELECT FROM moved) AS moved
"""
# The settled event (changes.rules.settled, the same body), into the outbox with the settlement.
_FIGURE_PARAMETERS = {"total": "($12::numeric[])[1]", "personal_share": "$13::numeric",
                      "basic_insurance": "$14::numeric", "critical_illness": "$15::numeric",
                      "assistance": "$16::numeric", "re_assistance": "$17::numeric"}
_EVENT = f"""event AS (
    INSERT INTO change_events (type, id_number, effective_from, effective_until, after, occurred_at)
    SELECT '{SETTLED}', $1, s.discharged_on, s.discharged_on + 1, json_build_object(
        'settlement_id', s.id, 'hospital_code', s.hospital_code, 'medical_type', s.medical_type,
        'discharged_on', s.discharged_on, {", ".join(f"'{name}', {_FIGURE_PARAMETERS[name]}::text" for name in FIGURES)}
    ), $10 FROM moved CROSS JOIN settlements AS s WHERE s.id = $4
),
"""
# An itemized bill's lines, one array per column (after the grant's parameters, if any).
_LINE_COLUMNS = [column.name for column in SettlementLineRow.__table__.columns if column.name != "settlement_id"]
_LINE_TYPES = {"line_no": "int", "quantity": "numeric", "unit_price": "numeric", "amount": "numeric",
               "occurred_on": "date", "full_self_pay": "numeric", "over_limit_self_pay": "numeric",
               "pre_self_pay": "numeric"}
_LINES = """lines AS (
    INSERT INTO settlement_lines (settlement_id, {columns})
    SELECT $4, {columns} FROM moved CROSS JOIN unnest({arrays}) AS l({columns})
),
"""


def _lines_cte(first_parameter: int) -> str:
    return _LINES.format(columns=", ".join(_LINE_COLUMNS), arrays=", ".join(
        f"${first_parameter + n}::{_LINE_TYPES.get(name, 'text')}[]" for n, name in enumerate(_LINE_COLUMNS)))


# (first settlement of the person-year, under a grant, itemized) → the statement.
_RECORDS = {
    (first, under_grant, itemized): _RECORD.format(
        granted_cte=(
            _GRANTED.format(person_year_locked="true") if first
            else _PERSON_YEAR_LOCKED + _GRANTED.format(person_year_locked="EXISTS (SELECT FROM current)")
        ) if under_grant else "",
        move=(_MOVE_FIRST if first else _MOVE_NEXT).format(
            granted="EXISTS (SELECT FROM granted)" if under_grant else "true"),
        lines_cte=_lines_cte(35 if under_grant else 33) if itemized else "", event_cte=_EVENT,
        occasional=", ".join(f"{name} = ($12::numeric[])[{n}]" for n, name in enumerate(OCCASIONAL_FUNDS, start=4)),
    )
    for first in (True, False) for under_grant in (True, False) for itemized in (True, False)
}


# What a settlement runs, prepared on the warm connections (shared.db.Database.warm).
HOT_STATEMENTS = (_CLAIM, _READ, *_RECORDS.values())


def _line_arrays(lines: Sequence[ClassifiedLine]) -> list[list[object]]:
    rows = [line_values(n, line) for n, line in enumerate(lines, start=1)]
    return [[row[name] for row in rows] for name in _LINE_COLUMNS]



class PostgresStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def claim(
        self, settlement_id: str, request_hash: str, request: "SettlementRequest", looked_up_by: str,
        claimed_at: datetime | None = None, channel: str = "his",
    ) -> PersonYear | None:
        year = request.discharged_on.year
        claimed_at = claimed_at or datetime.now(UTC)
        async with self.database.driver_connection() as connection:
            row = await connection.fetchrow(
                _CLAIM, settlement_id, request.hospital_code, request.his_serial, request_hash, request.id_number,
                year, request.medical_type.value, request.admitted_on, request.discharged_on,
                claimed_at, claimed_at - CLAIM_LEASE, looked_up_by, channel,
            )
        return PersonYear.of(request.id_number, year, row) if row["claimed"] else None

    async def read(self, id_number: str, year: int) -> PersonYear:
        async with self.database.driver_connection() as connection:
            return PersonYear.of(id_number, year, await connection.fetchrow(_READ, id_number, year))

    async def record(
        self, read: PersonYear, settlement_id: str, deltas: dict[str, Decimal], caps: dict[str, Decimal],
        settled_at: datetime, statement: str, bill: Bill, result: CalculationResult,
        grant: GrantRead | None = None, lines: Sequence[ClassifiedLine] | None = None,
        fund_region_code: str | None = None, calculation_input: dict[str, Any] | None = None,
    ) -> bool:
        balances, entries = read.moved_by(deltas)
        under_grant = () if grant is None else (grant.window_from, grant.version)
        line_arrays = _line_arrays(lines) if lines else []
        async with self.database.driver_connection() as connection:
            row = await connection.fetchrow(
                _RECORDS[(read.entries == 0, grant is not None, bool(lines))],
                read.id_number, read.year, read.entries + 1, settlement_id,
                [e.accumulator for e in entries], [e.amount for e in entries],
                [e.balance_after for e in entries], [caps.get(e.accumulator) for e in entries],
                statement, settled_at,
                [result.identity_applied.value if result.identity_applied else None, fund_region_code,
                 None if calculation_input is None else json.dumps(calculation_input)],
                [bill.total, bill.full_self_pay, bill.over_limit_self_pay,
                 *(getattr(result, name) for name in OCCASIONAL_FUNDS)],
                result.personal_share,
                result.basic_insurance, result.critical_illness, result.assistance, result.re_assistance,
                *(balances[name] for name in ACCUMULATORS), *under_grant, *line_arrays,
            )
        if not row["pending"]:
            raise RuntimeError(f"settlement {settlement_id} was not in progress")
        return bool(row["moved"])
