"""The ledger's queries, in SQLAlchemy Core on a bare connection: this is the hot path of every
settlement, and the ORM's unit of work costs more CPU here than the database does.

Writes are a compare-and-set on the person-year: the UPDATE takes the row lock and succeeds only
if no other settlement appended since the balances were read (`entries` is the version)."""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, case, exists, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.settlement.corrections.models import CorrectionItemRow, CorrectionProposalRow
from services.settlement.ledger.models import ACCUMULATORS, GrantVersionRow, LedgerEntryRow, PersonYearRow
from services.settlement.settlements.models import SettlementRow
from shared.contracts.calculation import YearToDate
from shared.db import insert_unless_exists

_PERSON_YEARS = PersonYearRow.__table__
_ENTRIES = LedgerEntryRow.__table__
_GRANTS = GrantVersionRow.__table__
_ITEMS = CorrectionItemRow.__table__
_PROPOSALS = CorrectionProposalRow.__table__


def _corrections(settlement_id: Any) -> Select[Any]:
    """The approved corrections of a settlement."""
    return (select(_ITEMS.c.proposal_id).join(_PROPOSALS, _PROPOSALS.c.id == _ITEMS.c.proposal_id)
            .where(_ITEMS.c.settlement_id == settlement_id, _PROPOSALS.c.status == "approved"))


def year_to_date(balances: dict[str, Decimal]) -> YearToDate:
    """A person-year's balances as the calculation takes them (the admissions a count)."""
    return YearToDate(**{**balances, "admissions": int(balances["admissions"])})


@dataclass
class PersonYear:
    """One person's balances for a year as read, and how many appends they had seen (`entries`)."""

    id_number: str
    year: int
    balances: dict[str, Decimal]
    entries: int

    def year_to_date(self) -> YearToDate:
        return year_to_date(self.balances)

    def moved_by(self, deltas: dict[str, Decimal]) -> "tuple[dict[str, Decimal], list[Entry]]":
        """The balances after the deltas, and one entry for each accumulator that moves."""
        balances = dict(self.balances)
        entries: list[Entry] = []
        for name in ACCUMULATORS:
            amount = deltas.get(name, Decimal(0))
            if amount:
                balances[name] += amount
                entries.append(Entry(name, amount, balances[name]))
        return balances, entries

    @classmethod
    def of(cls, id_number: str, year: int, row: Any) -> "PersonYear":
        """From a person_years row (mapping), or zero balances when the year has none yet."""
        if row is None or row["entries"] is None:
            return cls(id_number, year, dict.fromkeys(ACCUMULATORS, Decimal(0)), 0)
        return cls(id_number, year, {n: row[n] for n in ACCUMULATORS}, row["entries"])


@dataclass(frozen=True)
class Entry:
    accumulator: str
    amount: Decimal
    balance_after: Decimal


class LedgerRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def read(self, id_number: str, year: int, *, lock: bool = False) -> PersonYear:
        """The balances (zero before the first settlement of the year); `lock` holds the row until
        the transaction ends."""
        query = select(_PERSON_YEARS).where(_PERSON_YEARS.c.id_number == id_number, _PERSON_YEARS.c.year == year)
        if lock:
            query = query.with_for_update()
        return PersonYear.of(id_number, year, (await self.connection.execute(query)).mappings().first())

    async def append(
        self, read: PersonYear, settlement_id: str, kind: str,
        deltas: dict[str, Decimal], caps: dict[str, Decimal],
    ) -> list[Entry] | None:
        """Add the deltas as entries and move the balances, unless the person-year moved since `read`
        (then None, and nothing is written: read again and recompute)."""
        balances, entries = read.moved_by(deltas)
        version = read.entries + 1
        if read.entries == 0:
            moved = await self.connection.execute(
                insert_unless_exists(self.connection, _PERSON_YEARS, ("id_number", "year")).values(
                    id_number=read.id_number, year=read.year, entries=version, **balances,
                )
            )
        else:
            moved = await self.connection.execute(
                update(_PERSON_YEARS).where(
                    _PERSON_YEARS.c.id_number == read.id_number, _PERSON_YEARS.c.year == read.year,
                    _PERSON_YEARS.c.entries == read.entries,
                ).values(entries=version, **balances)
            )
        if moved.rowcount != 1:
            return None
        if entries:
            await self.connection.execute(insert(_ENTRIES), [{
                "id_number": read.id_number, "year": read.year, "entry_no": version,
                "settlement_id": settlement_id, "accumulator": e.accumulator, "kind": kind, "amount": e.amount,
                "balance_after": e.balance_after, "cap": caps.get(e.accumulator),
            } for e in entries])
        return entries

    async def grant_version(self, id_number: str, window_from: date) -> int:
        """The grant's version, its row created at 0 the first time (so a settlement always has a row
        to compare-and-set). Read it before the grant's totals: a settlement committed in between
        then shows as a moved version, never as totals older than the version."""
        await self.connection.execute(insert_unless_exists(self.connection, _GRANTS, ("id_number", "window_from"))
                                      .values(id_number=id_number, window_from=window_from, version=0))
        return (await self.connection.scalar(select(_GRANTS.c.version).where(
            _GRANTS.c.id_number == id_number, _GRANTS.c.window_from == window_from))) or 0

    async def move_grant(self, id_number: str, window_from: date, version: int) -> bool:
        """Compare-and-set the grant's version: False if another settlement under it moved it first."""
        moved = await self.connection.execute(update(_GRANTS).where(
            _GRANTS.c.id_number == id_number, _GRANTS.c.window_from == window_from, _GRANTS.c.version == version,
        ).values(version=version + 1))
        return moved.rowcount == 1

    async def grant_totals(
        self, id_number: str, window: tuple[date, date], excluding: Collection[str] = (),
    ) -> tuple[Decimal, Decimal]:
        """(assistance base, assistance paid) of the settlements applied under an illness-poverty grant
        discharged inside its window, whatever their year: one grant, one cap (004 §三(七)).
        Reversing entries net out cancelled settlements; a settlement's identity is the one its latest
        approved correction applied, and its adjustment entries count with it. `excluding`: settlements
        a correction is replaying."""
        settlements = SettlementRow.__table__
        identity = case((exists(_corrections(settlements.c.id)), _corrections(settlements.c.id)
                         .with_only_columns(_ITEMS.c.identity_after).order_by(_PROPOSALS.c.decided_at.desc())
                         .limit(1).scalar_subquery()), else_=settlements.c.identity_applied)
        query = (
            select(_ENTRIES.c.accumulator, func.sum(_ENTRIES.c.amount))
            .join(settlements, settlements.c.id == _ENTRIES.c.settlement_id)
            .where(settlements.c.id_number == id_number, identity == "illness_poverty",
                   settlements.c.discharged_on >= window[0], settlements.c.discharged_on < window[1],
                   _ENTRIES.c.accumulator.in_(("assistance_base", "assistance_paid")))
            .group_by(_ENTRIES.c.accumulator)
        )
        if excluding:
            query = query.where(settlements.c.id.not_in(list(excluding)))
        totals = {name: Decimal(total) for name, total in await self.connection.execute(query)}
        return totals.get("assistance_base", Decimal(0)), totals.get("assistance_paid", Decimal(0))

    async def move_grants(self, id_number: str) -> None:
        """Move every grant version of the person: a correction approved changes what its grants have
        used, so a settlement under any of them that read the old usage computes again."""
        await self.connection.execute(update(_GRANTS).where(_GRANTS.c.id_number == id_number)
                                      .values(version=_GRANTS.c.version + 1))

    async def entries_of(self, settlement_id: str, kind: str) -> list[Entry]:
        query = select(_ENTRIES.c.accumulator, _ENTRIES.c.amount, _ENTRIES.c.balance_after).where(
            _ENTRIES.c.settlement_id == settlement_id, _ENTRIES.c.kind == kind
        ).order_by(_ENTRIES.c.id)
        return [Entry(*row) for row in await self.connection.execute(query)]
