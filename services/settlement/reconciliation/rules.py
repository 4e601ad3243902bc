"""Reconciliation with a hospital's books (pure), modelled on the national interfaces 3201 (totals,
对总账) and 3202 (detail, 对明细账): what is compared, how a HIS's detail file is read, and the
differences. docs/rules.md §14.

Our names stay ours in the API; `NATIONAL_FIELDS` says which national field each one stands for."""

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum

from services.settlement.settlements.funds import FUND_LABELS, OCCASIONAL_FUNDS
from services.settlement.settlements.models import SettlementRow
from shared.clock import SHANGHAI
from shared.errors import Unprocessable
from shared.money import CENT, MAX_AMOUNT
from shared.tabular import UnreadableFile, decode, printable_cell

FUNDS = tuple(name for name in FUND_LABELS if name in SettlementRow.__table__.c and name not in OCCASIONAL_FUNDS)
"""The funds reconciled, in the statement's order (FUND_LABELS): the four of every statement. The
occasional funds (special drugs, the large-expense subsidy) are kept on the settlement row since the
period claims (2026-12) but not asked of the HIS yet: adding them here changes the upload's columns."""

AMOUNTS = ("total", *FUNDS)
"""A line's amounts, compared one by one."""

NATIONAL_FIELDS = {
    "hospital_code": "fixmedins_code", "from_date": "stmt_begndate", "to_date": "stmt_enddate",
    "count": "fixmedins_setl_cnt", "total": "medfee_sumamt", "fund_total": "fund_pay_sumamt",
    "basic_insurance": "hifp_pay", "critical_illness": "hifmi_pay", "assistance": "maf_pay",
    "large_expense": "hifob_pay", "his_serial": "setl_id", "cancelled": "refd_setl_flag", "matched": "stmt_rslt",
}
"""Our name → the national field it corresponds to (3201 / 3202 and their settlement fields). Our
re-assistance has no field of its own there (it is paid from the assistance fund, maf_pay)."""

LABELS = {"count": "结算笔数", "total": "医疗费总额", "fund_total": "基金支付总额",
          **{name: FUND_LABELS[name][0] for name in FUNDS}}

MAX_LINES = 200_000  # two months of the largest hospital; bounded so one upload cannot exhaust memory


class Kind(StrEnum):
    """A difference of the detail (3202)."""

    MISSING_THERE = "missing_there"  # settled here, not in the hospital's list
    MISSING_HERE = "missing_here"  # in the hospital's list, not settled here in the range
    AMOUNT_DIFFERS = "amount_differs"  # both have it, one amount differs (one line per amount)
    CANCELLED_HERE_ONLY = "cancelled_here_only"
    CANCELLED_THERE_ONLY = "cancelled_there_only"


KIND_LABELS = {
    Kind.MISSING_THERE: "我方已结算，医院无此笔", Kind.MISSING_HERE: "医院有此笔，我方无结算",
    Kind.AMOUNT_DIFFERS: "金额不符", Kind.CANCELLED_HERE_ONLY: "仅我方已撤销",
    Kind.CANCELLED_THERE_ONLY: "仅医院已撤销",
}


@dataclass(frozen=True, slots=True)
class Window:
    """Settlement days (Asia/Shanghai), both included: a settlement belongs to its settlement time."""

    from_date: date
    to_date: date

    def instants(self) -> tuple[datetime, datetime]:
        """[first moment, first moment after) of the days."""
        return (datetime.combine(self.from_date, time(), SHANGHAI),
                datetime.combine(self.to_date + timedelta(days=1), time(), SHANGHAI))


@dataclass(frozen=True, slots=True)
class BookLine:
    """One settlement, ours or as the hospital's books have it."""

    his_serial: str
    cancelled: bool
    amounts: tuple[Decimal, ...]  # in the order of AMOUNTS


@dataclass(frozen=True, slots=True)
class TotalsLine:
    item: str  # count / total / fund_total / a fund
    ours: Decimal
    theirs: Decimal

    @property
    def difference(self) -> Decimal:
        return self.ours - self.theirs


@dataclass(frozen=True, slots=True)
class Difference:
    his_serial: str
    kind: Kind
    item: str | None  # the amount that differs (AMOUNTS), for amount_differs
    ours: Decimal | None
    theirs: Decimal | None

    @property
    def difference(self) -> Decimal | None:
        """Ours less theirs, of the amount that differs (the other kinds show both totals, no difference)."""
        if self.kind is not Kind.AMOUNT_DIFFERS or self.ours is None or self.theirs is None:
            return None
        return self.ours - self.theirs


def compare_totals(ours: Mapping[str, Decimal], theirs: Mapping[str, Decimal]) -> list[TotalsLine]:
    """Count, total, the fund total and each fund, line by line (3201's figures, each fund added)."""
    return [TotalsLine(item, ours[item], theirs[item]) for item in ("count", "total", "fund_total", *FUNDS)]


def _fen(amount: Decimal) -> Decimal:
    """As written to the fen ("1200" read from a file shows as 1200.00)."""
    return amount.quantize(CENT)


def compare_detail(ours: Iterable[BookLine], theirs: Iterable[BookLine]) -> list[Difference]:
    """Every difference between our settlements of the range and the hospital's list, by serial. A
    settlement cancelled on the side that has it alone moved no money there: no difference. Cancelled
    on both sides: none either (the amounts of a cancelled settlement pay nothing)."""
    ours_by_serial = {line.his_serial: line for line in ours}
    differences: list[Difference] = []
    for there in theirs:
        here = ours_by_serial.pop(there.his_serial, None)
        if here is None:
            if not there.cancelled:
                differences.append(Difference(there.his_serial, Kind.MISSING_HERE, None, None, _fen(there.amounts[0])))
        elif here.cancelled != there.cancelled:
            kind = Kind.CANCELLED_HERE_ONLY if here.cancelled else Kind.CANCELLED_THERE_ONLY
            differences.append(Difference(there.his_serial, kind, None, _fen(here.amounts[0]), _fen(there.amounts[0])))
        elif not here.cancelled and here.amounts != there.amounts:
            differences.extend(
                Difference(there.his_serial, Kind.AMOUNT_DIFFERS, item, _fen(mine), _fen(its))
                for item, mine, its in zip(AMOUNTS, here.amounts, there.amounts, strict=True) if mine != its
            )
    differences.extend(Difference(here.his_serial, Kind.MISSING_THERE, None, _fen(here.amounts[0]), None)
                       for here in ours_by_serial.values() if not here.cancelled)
    differences.sort(key=lambda d: (d.his_serial, d.kind, AMOUNTS.index(d.item) if d.item else -1))
    return differences


def summary(ours: int, theirs: int, differences: list[Difference]) -> dict[str, int]:
    counts = {"ours": ours, "theirs": theirs, **dict.fromkeys(Kind, 0)}
    for difference in differences:
        counts[difference.kind] += 1
    return counts


# The detail file (CSV): a header of our names, one line a settlement.
CSV_COLUMNS = ("his_serial", *AMOUNTS, "cancelled")
_REQUIRED_COLUMNS = CSV_COLUMNS[:-1]  # `cancelled` may be left out: none cancelled
_FLAGS = {"0": False, "1": True, "false": False, "true": True}
MAX_ERRORS_SHOWN = 20


def bad_upload(detail: str, code: str, errors: list[dict[str, object]] | None = None) -> Unprocessable:
    return Unprocessable(detail, code=code, extra={"errors": errors} if errors is not None else None)


UPLOAD_PROBLEMS = (
    bad_upload("未知的列：foo (unknown column)", "unknown_column"),
    bad_upload("缺少列：total (missing column)", "missing_column"),
    bad_upload("明细有误，见 errors (bad lines, see errors)", "invalid_lines",
               [{"line": 3, "field": "total", "msg": "金额格式不对 (not an amount)：12,50"}]),
    bad_upload("流水号重复，见 errors (a serial appears twice, see errors)", "duplicate_serial",
               [{"line": 5, "field": "his_serial", "msg": "与第 2 行重复 (same as line 2)"}]),
    bad_upload("明细为空 (no lines)", "empty_upload"),
    bad_upload("表头有重复的列 (a column appears twice in the header)", "duplicate_column"),
    bad_upload(f"明细至多 {MAX_LINES} 行 (at most {MAX_LINES} lines)", "too_many_lines"),
    bad_upload("文件既不是 UTF-8 也不是 GB18030 编码 (neither UTF-8 nor GB18030)", "unreadable_file"),
)
"""What reading a detail upload refuses, for the routes' docs."""


_PLAIN_AMOUNT = re.compile(r"[0-9]{1,10}(?:\.[0-9]{1,2})?")  # at most MAX_AMOUNT, to the fen
_SERIAL = re.compile(r"[A-Za-z0-9_.:-]{1,64}")  # as a settlement's his_serial


def _amount(text: str) -> Decimal:
    """A non-negative amount written in ASCII digits, to the fen (as `shared.money.Money` reads one)."""
    text = text.strip()
    if _PLAIN_AMOUNT.fullmatch(text):  # nearly every cell: one regex (100,000 lines, five amounts each)
        return Decimal(text)
    if not text.isascii() or "_" in text:
        raise ValueError("金额只能用半角数字 0-9 书写 (an amount is written in ASCII digits 0-9 only)")
    try:
        amount = Decimal(text)
    except ArithmeticError:
        raise ValueError(f"金额格式不对 (not an amount)：{printable_cell(text[:20])}") from None
    if not amount.is_finite() or not 0 <= amount <= MAX_AMOUNT:
        raise ValueError(f"金额须在 0 至 {MAX_AMOUNT} 之间 (an amount is between 0 and {MAX_AMOUNT})")
    if amount != amount.quantize(CENT):
        raise ValueError("金额至多两位小数，即到分 (an amount has at most 2 decimal places, to the fen)")
    return amount


def _line(cells: Mapping[str, str]) -> BookLine:
    """One line, or ValueError(field, message) for its first bad cell."""
    field = "his_serial"
    try:
        serial = cells.get("his_serial", "").strip()
        if not _SERIAL.fullmatch(serial):
            raise ValueError("流水号须为1至64位字母、数字或 _.:- (1 to 64 letters, digits or _.:-)")
        try:
            amounts = tuple([_amount(cells.get(name, "")) for name in AMOUNTS])
        except ValueError:
            for field in AMOUNTS:
                _amount(cells.get(field, ""))
            raise
        field = "cancelled"
        flag = _FLAGS.get(cells.get("cancelled", "0").strip().lower())
        if flag is None:
            raise ValueError("撤销标志须为 0 或 1 (cancelled is 0 or 1)")
    except ValueError as exc:
        raise ValueError(field, str(exc)) from None
    return BookLine(serial, flag, amounts)


def book_lines(
    rows: Iterable[tuple[int, Mapping[str, str]]], errors: list[dict[str, object]] | None = None,
) -> list[BookLine]:
    """(line number, {column: cell}) → the hospital's lines, all checked: every bad cell and every
    repeated serial is reported at once (the first `MAX_ERRORS_SHOWN`), nothing half-read. `errors`:
    those the caller found already."""
    lines: list[BookLine] = []
    errors = errors or []
    first_line: dict[str, int] = {}
    duplicates: list[dict[str, object]] = []
    for line_no, cells in rows:
        try:
            line = _line(cells)
        except ValueError as exc:
            errors.append({"line": line_no, "field": exc.args[0], "msg": exc.args[1]})
            continue
        seen = first_line.setdefault(line.his_serial, line_no)
        if seen != line_no:
            duplicates.append({"line": line_no, "field": "his_serial",
                               "msg": f"与第 {seen} 行重复 (same as line {seen})"})
            continue
        lines.append(line)
    if errors:
        errors.sort(key=lambda error: error["line"])  # type: ignore[arg-type, return-value]
        raise bad_upload(f"明细有误 {len(errors)} 处，见 errors (bad lines, see errors)", "invalid_lines",
                         errors[:MAX_ERRORS_SHOWN])
    if duplicates:
        raise bad_upload(f"流水号重复 {len(duplicates)} 处，见 errors (a serial appears twice, see errors)",
                         "duplicate_serial", duplicates[:MAX_ERRORS_SHOWN])
    if not lines:
        raise bad_upload("明细为空 (no lines)", "empty_upload")
    if len(lines) > MAX_LINES:
        raise bad_upload(f"明细至多 {MAX_LINES} 行 (at most {MAX_LINES} lines)", "too_many_lines")
    return lines


def csv_book_lines(content: bytes) -> list[BookLine]:
    """A detail file: CSV in UTF-8 or GB18030 (shared.tabular), its header naming `CSV_COLUMNS`."""
    try:
        rows = csv.reader(io.StringIO(decode(content), newline=""))
        header = [name.strip().lstrip("\ufeff") for name in next(rows, [])]
        unknown = [name for name in header if name not in CSV_COLUMNS]
        if unknown:
            raise bad_upload(f"未知的列：{printable_cell(', '.join(unknown))[:200]} (unknown column; the columns are "
                             f"{', '.join(CSV_COLUMNS)})", "unknown_column")
        if len(set(header)) != len(header):
            raise bad_upload("表头有重复的列 (a column appears twice in the header)", "duplicate_column")
        missing = [name for name in _REQUIRED_COLUMNS if name not in header]
        if missing:
            raise bad_upload(f"缺少列：{', '.join(missing)} (missing column)", "missing_column")
        cells_by_line: list[tuple[int, dict[str, str]]] = []
        errors: list[dict[str, object]] = []
        width = len(header)
        for line_no, cells in enumerate(rows, start=2):
            if not "".join(cells).strip():
                continue  # a blank line
            if len(cells) == width:
                cells_by_line.append((line_no, dict(zip(header, cells, strict=True))))
            else:  # e.g. a decimal comma (12,50) that split an amount in two: no cell can be trusted
                errors.append({"line": line_no, "field": None,
                               "msg": f"该行有 {len(cells)} 列，表头有 {width} 列 (cells do not match the header)"})
        return book_lines(cells_by_line, errors)
    except (UnreadableFile, csv.Error) as exc:
        raise bad_upload(str(exc), "unreadable_file") from exc
