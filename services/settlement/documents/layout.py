"""A document people download (a period claim, a clearing statement) as plain data: a title, a few
facts, tables and reckonings, a footer. The Excel writer (`excel.py`) and the PDF renderer (`pdf.py`)
lay out the same document; neither computes a figure of its own.

Every sum a document shows is ours (the domain's Decimal figures) and travels with it: a table's
`totals`, a reckoning's `result`. The Excel writer writes each as a formula over the cells it wrote
and refuses (`FiguresDisagree`) a document whose formula would not give our figure."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

Cell = str | int | Decimal | date | None
CENT = Decimal("0.01")


class Kind(StrEnum):
    TEXT = "text"
    MONEY = "money"  # yuan, Decimal, 2 places: written as a number formatted 0.00
    COUNT = "count"
    DATE = "date"


class FiguresDisagree(ValueError):
    """A document whose stated sum differs from the sum of its own cells: a bug, never a download."""


@dataclass(frozen=True, slots=True)
class Column:
    header: str  # Chinese: what the person reading the file calls it
    kind: Kind = Kind.TEXT
    width: float = 1.0  # relative to the other columns
    summed: bool = False  # a money or count column the totals row sums


@dataclass(frozen=True, slots=True)
class Table:
    """Rows of cells under headers. `totals`: our sum of each summed column, in column order (a 合计
    row, written in Excel as =SUM over the column); None for no totals row. `sheet`: a worksheet of
    its own in Excel (a long list), else it follows the blocks before it."""

    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    totals: tuple[Decimal | int, ...] | None = None
    sheet: str | None = None

    def __post_init__(self) -> None:
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(f"{self.title}: a row of {len(row)} cells under {len(self.columns)} columns")
            for column, value in zip(self.columns, row, strict=True):
                _check_cell(column, value)
        summed = [column for column in self.columns if column.summed]
        if self.totals is not None and len(self.totals) != len(summed):
            raise ValueError(f"{self.title}: {len(self.totals)} totals for {len(summed)} summed columns")
        if summed and self.columns[0].summed:
            raise ValueError(f"{self.title}: the first column holds the 合计 label")
        if self.totals is not None and tuple(self.totals) != self.column_sums():
            raise FiguresDisagree(f"{self.title}: totals {self.totals} but the rows add up to {self.column_sums()}")

    def column_sums(self) -> tuple[Decimal | int, ...]:
        """Each summed column added up from the cells, as the totals row's formula adds them."""
        return tuple(sum((row[i] or 0 for row in self.rows), Decimal(0) if column.kind == Kind.MONEY else 0)
                     for i, column in enumerate(self.columns) if column.summed)  # type: ignore[misc]


@dataclass(frozen=True, slots=True)
class Term:
    label: str
    amount: Decimal
    sign: int = 1  # +1 adds to the result, -1 takes from it


@dataclass(frozen=True, slots=True)
class Reckoning:
    """Amounts that make a result (opening + in − out = closing): written in Excel as a formula over
    the terms' cells, and checked against `result`, ours."""

    title: str
    terms: tuple[Term, ...]
    result_label: str
    result: Decimal
    emphasized: bool = False  # the result printed in red (a balance below its threshold)

    def __post_init__(self) -> None:
        for term in self.terms:
            if term.sign not in (1, -1):
                raise ValueError(f"{term.label}: sign {term.sign}")
            _check_money(term.label, term.amount)
        _check_money(self.result_label, self.result)
        if sum((term.sign * term.amount for term in self.terms), Decimal(0)) != self.result:
            raise FiguresDisagree(f"{self.title}: the terms do not make {self.result_label} {self.result}")


@dataclass(frozen=True, slots=True)
class Signatures:
    """Boxes to sign and seal by hand on the printout, one per party (定点医疗机构（盖章）…), each with
    the same blank lines (经办人、负责人、日期); in Excel, the same labels with empty cells."""

    title: str
    parties: tuple[str, ...]
    lines: tuple[str, ...]


Block = Table | Reckoning | Signatures


@dataclass(frozen=True, slots=True)
class TableDocument:
    title: str
    subtitle: str
    facts: tuple[tuple[str, str], ...]  # (label, value): whose, which period, when printed
    blocks: tuple[Block, ...]
    footer: tuple[str, ...] = ()
    warning: tuple[str, ...] = field(default=())  # printed first, boxed in red (e.g. a fund running low)
    landscape: bool = False  # for tables of many columns


def money(amount: Decimal | None) -> str:
    """Yuan as printed: 2 places, no thousands separator (as the statement prints them)."""
    return "" if amount is None else f"{amount:.2f}"


def _check_money(label: str, amount: object) -> None:
    if not isinstance(amount, Decimal) or amount != amount.quantize(CENT):
        raise ValueError(f"{label}: {amount!r} is not yuan to the fen")


def _check_cell(column: Column, value: Cell) -> None:
    if value is None:
        return
    if column.kind == Kind.MONEY:
        _check_money(column.header, value)
    elif column.kind == Kind.COUNT and (not isinstance(value, int) or isinstance(value, bool)):
        raise ValueError(f"{column.header}: {value!r} is not a count")
    elif column.kind == Kind.DATE and not isinstance(value, date):
        raise ValueError(f"{column.header}: {value!r} is not a date")
