"""The go-live batch's pure logic: reading the uploaded rows, cutting them into chunks of whole
person-years, and the replay order (docs/rules.md "Go-live and policy-change batches"); and for a
batch over a date range, the windows each person-year is replayed from and which ranges overlap.

Decision where the documents are silent: each person-year is replayed from nothing, its rows in
discharge order, the caps accumulating over the batch's rows only. The historic settlements are the
person-year's history before the platform (烟台2018通知 二、4: settled before go-live), so the ledger
holds none of them, and what it holds is later care, which must not use the cap first. A range
batch's settlements are in the platform: their person-years replay as a correction does (from the
first of the range, on the balances before it)."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from itertools import groupby
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from shared.categories import InsuranceType, MedicalType
from shared.contracts.calculation import Bill
from shared.errors import field_errors
from shared.id_number import IdNumberStr
from shared.regions import region_prefix
from shared.tabular import csv_records, parse_date
from shared.types import BusinessDate, HospitalCode


class Status(StrEnum):
    UPLOADED = "uploaded"
    CALCULATING = "calculating"
    CALCULATED = "calculated"
    APPROVED = "approved"
    REJECTED = "rejected"


RUNNING = (Status.UPLOADED, Status.CALCULATING)
RANGE = "range"
"""The source of a batch over settlements already in the platform (the others: csv, json)."""


@dataclass(frozen=True, slots=True)
class DischargeRange:
    """The settlements a range batch takes: settled, discharged from `from_date` to `to_date` (both
    included), of one policy region (the region their calculation was asked for, inside it) and one
    hospital when given."""

    from_date: date
    to_date: date
    region_code: str | None = None
    hospital_code: str | None = None

    def overlaps(self, other: "DischargeRange") -> bool:
        """Whether a settlement could be in both: the days meet and no filter keeps them apart."""
        if self.to_date < other.from_date or other.to_date < self.from_date:
            return False
        if self.hospital_code and other.hospital_code and self.hospital_code != other.hospital_code:
            return False
        if self.region_code and other.region_code:
            mine, theirs = region_prefix(self.region_code), region_prefix(other.region_code)
            return mine.startswith(theirs) or theirs.startswith(mine)
        return True


def windows(discharges: Iterable[date], to_date: date) -> list[tuple[date, date]]:
    """A person's replay windows, one per year of their settlements of the range: from the year's
    first such discharge to the day after the range, or to the new year (a window never crosses a
    year, so each year starts at its own first settlement of the range)."""
    first: dict[int, date] = {}
    for day in discharges:
        first[day.year] = min(first.get(day.year, day), day)
    return [(day, min(to_date + timedelta(days=1), date(year + 1, 1, 1))) for year, day in sorted(first.items())]


class HistoricSettlement(BaseModel):
    """One basic-insurance settlement made before go-live, as the insurance core recorded it."""

    model_config = ConfigDict(extra="forbid")

    id_number: IdNumberStr = Field(description="身份证号")
    hospital_code: HospitalCode = Field(description="定点医疗机构编码")
    admitted_on: BusinessDate = Field(description="入院日期")
    discharged_on: BusinessDate = Field(description="出院日期：决定政策、年度与当日身份")
    medical_type: MedicalType = Field(description="医疗类别")
    insurance_type: InsuranceType | None = Field(
        default=None, description="险种；空则按救助对象登记当日险种 (default: the registry's on the day)")
    bill: Bill = Field(description="费用与医保、大病保险已付（须给出基本医保统筹已付与大病保险已付）")

    @model_validator(mode="after")
    def _complete(self) -> "HistoricSettlement":
        if self.discharged_on < self.admitted_on:
            raise ValueError("出院日期早于入院日期 (discharged before admitted)")
        if self.bill.basic_insurance_paid is None or self.bill.critical_illness_paid is None:
            raise ValueError("须给出基本医保统筹已付与大病保险已付"
                             " (basic insurance and critical illness paid are required)")
        return self


HEADERS = {
    "身份证号": "id_number", "id_number": "id_number",
    "医疗机构编码": "hospital_code", "hospital_code": "hospital_code",
    "入院日期": "admitted_on", "admitted_on": "admitted_on",
    "出院日期": "discharged_on", "discharged_on": "discharged_on",
    "医疗类别": "medical_type", "medical_type": "medical_type",
    "险种": "insurance_type", "insurance_type": "insurance_type",
    "医疗费用总额": "total", "total": "total",
    "全自费": "full_self_pay", "full_self_pay": "full_self_pay",
    "超限价自费": "over_limit_self_pay", "over_limit_self_pay": "over_limit_self_pay",
    "先行自付": "pre_self_pay", "pre_self_pay": "pre_self_pay",
    "基本医保统筹已付": "basic_insurance_paid", "basic_insurance_paid": "basic_insurance_paid",
    "大病保险已付": "critical_illness_paid", "critical_illness_paid": "critical_illness_paid",
}
BILL_FIELDS = ("total", "full_self_pay", "over_limit_self_pay", "pre_self_pay", "basic_insurance_paid",
               "critical_illness_paid")
_DATES = ("admitted_on", "discharged_on")


@dataclass(frozen=True, slots=True)
class Rejected:
    line: int
    reason: str


def _from_cells(cells: Mapping[str, str]) -> dict[str, Any]:
    """A CSV row as the JSON form: the bill's fields under `bill`, dates as written by hand."""
    values = {k: v.strip() for k, v in cells.items() if v.strip()}
    row: dict[str, Any] = {k: v for k, v in values.items() if k not in BILL_FIELDS}
    row["bill"] = {k: values[k] for k in BILL_FIELDS if k in values}
    for name in _DATES:
        if name in row:
            row[name] = parse_date(row[name]).isoformat()
    return row


def read_rows(
    numbered: Iterable[tuple[int, Any]], *, cells: bool = False,
) -> tuple[list[tuple[int, HistoricSettlement]], list[Rejected]]:
    """(line, settlement) for each good row and (line, reason) for each bad one; `cells`: CSV rows
    ({field: text}), else JSON items."""
    good: list[tuple[int, HistoricSettlement]] = []
    bad: list[Rejected] = []
    for line, raw in numbered:
        try:
            fields = _from_cells(raw) if cells else raw
            good.append((line, HistoricSettlement.model_validate(fields)))
        except ValidationError as exc:
            reasons = (f"{'.'.join(e['loc']) or '行'}: {e['msg']}" for e in field_errors(exc))
            bad.append(Rejected(line, "；".join(reasons)))
        except ValueError as exc:  # a date written so that it is none
            bad.append(Rejected(line, str(exc)))
    return good, bad


def csv_rows(content: bytes) -> list[tuple[int, dict[str, str]]]:
    return csv_records(content, HEADERS, "id_number", "身份证号")


def person_year(settlement: HistoricSettlement) -> tuple[str, int]:
    return settlement.id_number, settlement.discharged_on.year


def replay_order(rows: Iterable[tuple[int, HistoricSettlement]]) -> list[tuple[int, HistoricSettlement]]:
    """By person-year, then discharge (then line, for two discharges the same day)."""
    return sorted(rows, key=lambda r: (*person_year(r[1]), r[1].discharged_on, r[0]))


def chunked(ordered: list[tuple[int, HistoricSettlement]], chunk_rows: int) -> list[int]:
    """Each row's chunk: about `chunk_rows` rows, never cutting a person-year (so that a resumed
    batch never replays half a person-year on top of the other half)."""
    sizes = [len(list(group)) for _, group in groupby(ordered, key=lambda r: person_year(r[1]))]
    return [chunk for chunk, size in zip(group_chunks(sizes, chunk_rows), sizes, strict=True) for _ in range(size)]


def group_chunks(sizes: Iterable[int], chunk_rows: int) -> list[int]:
    """Each group's chunk, for groups of `sizes` rows in order: about `chunk_rows` rows a chunk, a
    group never cut."""
    chunks: list[int] = []
    chunk = rows = 0
    for size in sizes:
        if rows and rows + size > chunk_rows:
            chunk, rows = chunk + 1, 0
        chunks.append(chunk)
        rows += size
    return chunks


def waves(rows: list[Any], key: Any) -> list[list[Any]]:
    """The chunk's rows as rounds: round n holds the n-th settlement of every person-year, so a round
    is one batch call whose year-to-date each comes from that person-year's previous round."""
    rounds: list[list[Any]] = []
    for _, group in groupby(rows, key=key):
        for n, row in enumerate(group):
            if n == len(rounds):
                rounds.append([])
            rounds[n].append(row)
    return rounds


def eligibility_days(rows: Iterable[Any]) -> dict[date, list[str]]:
    """The persons to ask the registry about, by discharge date (its bulk endpoint takes one date)."""
    days: dict[date, list[str]] = {}
    for row in rows:
        persons = days.setdefault(row.discharged_on, [])
        if row.id_number not in persons:
            persons.append(row.id_number)
    return days
