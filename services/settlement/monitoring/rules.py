"""Hospital monitoring (004 §四(十) 将医疗救助对象医保目录范围外费用占比纳入定点医疗机构协议考核管理):
the period asked for and each hospital's share of out-of-catalog costs in assistance beneficiaries'
bills (pure). docs/rules.md §10."""

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from services.settlement.monitoring.schemas import HospitalOutOfCatalog
from shared.errors import Unprocessable
from shared.types import FIRST_DAY, LAST_DAY

MAX_DAYS = 366  # a year at once, as the look-up audit (audit.router)
_MONTH = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")
_SHARE_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class Period:
    """Discharge dates, both days included."""

    first_day: date
    last_day: date


_NOT_A_MONTH = (f"期间须为 {FIRST_DAY.year}–{LAST_DAY.year} 年间的年月，如 2023-03 "
                "(period must be a month, YYYY-MM)")
_REVERSED = "起始日期晚于截止日期 (from_date is after to_date)"
_TOO_LONG = f"查询区间不能超过{MAX_DAYS}天 (at most {MAX_DAYS} days at once)"
PERIOD_PROBLEMS = (
    Unprocessable(_NOT_A_MONTH, code="invalid_period"),
    Unprocessable(_REVERSED, code="invalid_date_range"),
    Unprocessable(_TOO_LONG, code="date_range_too_long"),
)
"""What `period_of` refuses, for the route's docs."""


def period_of(month: str | None, from_date: date | None, to_date: date | None) -> Period:
    """A calendar month (`2023-03`) or a range of at most `MAX_DAYS` days, one or the other."""
    if month is not None:
        if from_date is not None or to_date is not None:
            raise Unprocessable("期间与起止日期只能给出其一 (give period or from_date and to_date, not both)",
                                code="invalid_period")
        found = _MONTH.fullmatch(month)
        if found is None or not FIRST_DAY.year <= int(found[1]) <= LAST_DAY.year:
            raise Unprocessable(_NOT_A_MONTH, code="invalid_period")
        year, number = int(found[1]), int(found[2])
        return Period(date(year, number, 1), date(year, number, monthrange(year, number)[1]))
    if from_date is None or to_date is None:
        raise Unprocessable("须给出期间，或起止日期两者 (give period, or both from_date and to_date)",
                            code="invalid_period")
    if from_date > to_date:
        raise Unprocessable(_REVERSED, code="invalid_date_range")
    if (to_date - from_date).days >= MAX_DAYS:
        raise Unprocessable(_TOO_LONG, code="date_range_too_long")
    return Period(from_date, to_date)


@dataclass(frozen=True)
class HospitalCosts:
    """A hospital's bills of beneficiaries' settlements in force over a period, summed."""

    hospital_code: str
    settlements: int
    total_cost: Decimal
    out_of_catalog_cost: Decimal  # 全自费
    over_limit_cost: Decimal  # 超限价自费


def _share(part: Decimal, whole: Decimal) -> Decimal:
    return (part / whole).quantize(_SHARE_PLACES, ROUND_HALF_UP)


def above(costs: list[HospitalCosts], min_share: Decimal) -> list[HospitalOutOfCatalog]:
    """The hospitals whose out-of-catalog share is above `min_share`, highest first (ties by code).
    Compared exactly, not on the rounded share: 0.10004 is above 0.1000. A hospital with no cost has
    no share and is never listed."""
    listed = sorted((c for c in costs if c.out_of_catalog_cost > min_share * c.total_cost),
                    key=lambda c: (-c.out_of_catalog_cost / c.total_cost, c.hospital_code))
    return [
        HospitalOutOfCatalog(
            hospital_code=c.hospital_code, settlements=c.settlements, total_cost=c.total_cost,
            out_of_catalog_cost=c.out_of_catalog_cost, share=_share(c.out_of_catalog_cost, c.total_cost),
            over_limit_cost=c.over_limit_cost,
            share_with_over_limit=_share(c.out_of_catalog_cost + c.over_limit_cost, c.total_cost),
        )
        for c in listed
    ]
