"""The fund flow (烟台市民政局 烟台市社会保险服务中心《关于开展居民医疗救（补）助"一站式"联网即时结算业务的
通知》二、2): civil affairs pre-funds the city centre; the assistance and re-assistance each district's
agency settles draw on it; the centre clears with each district monthly. Pure: docs/rules.md §13.

An account is a region code: a district of the city (市直 370601 included: the city centre's own
hospitals) or the city itself. The city's account is the whole fund: every pre-funding (city-wide
or booked to a district) and every draw of its districts."""

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from shared.clock import SHANGHAI
from shared.errors import Unprocessable
from shared.regions import same_pool
from shared.types import FIRST_DAY

_MONTH = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")
_DAYS = Decimal("0.1")


def drawing_region(person_region: str | None, hospital_region: str) -> str:
    """The district account a settlement draws on: the district of the agency that settled it with
    the hospital. Care inside the person's insurance pool (the city) is settled by the hospital's
    district agency (the notice lists its hospitals under each agency: 市直, 芝罘区 …; 一、社保经办机构在与
    定点医疗机构结算基本医疗保险费用的同时，结算医疗救（补）助费用); care elsewhere (a filed out-of-region
    stay, a manual claim from another city) by the person's own district (二、3). A person the
    registry does not know gets no assistance: the hospital's district."""
    if person_region is None or same_pool(person_region, hospital_region):
        return hospital_region
    return person_region


def is_city(region_code: str) -> bool:
    return region_code.endswith("00")


def in_account(region_code: str | None, account: str) -> bool:
    """Whether a draw or pre-funding booked to `region_code` counts in `account`."""
    return region_code is not None and (region_code == account or (is_city(account)
                                                                   and region_code[:4] == account[:4]))


@dataclass(frozen=True)
class Month:
    year: int
    number: int

    @property
    def first_day(self) -> date:
        return date(self.year, self.number, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, self.number, monthrange(self.year, self.number)[1])

    @property
    def label(self) -> str:
        return f"{self.year}年{self.number:02d}月"

    def __str__(self) -> str:
        return f"{self.year}-{self.number:02d}"

    @classmethod
    def of(cls, day: date) -> "Month":
        return cls(day.year, day.month)

    @property
    def previous(self) -> "Month":
        return Month.of(self.first_day - timedelta(days=1))

    @property
    def next(self) -> "Month":
        return Month.of(self.last_day + timedelta(days=1))

    def bounds(self) -> tuple[datetime, datetime]:
        """The month's first and the next month's first instant in Beijing time, as UTC timestamps
        (settled_at and cancelled_at are stored in UTC)."""
        return _start_of(self.first_day), _start_of(self.last_day + timedelta(days=1))


def _start_of(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=SHANGHAI).astimezone(UTC)


def month_not_valid() -> Unprocessable:
    return Unprocessable("月份须为 YYYY-MM，如 2023-03 (month must be YYYY-MM)", code="invalid_month")


def month_in_future() -> Unprocessable:
    return Unprocessable("该月份尚未开始 (the month has not begun)", code="month_in_future")


def month_of(text: str, today: date) -> Month:
    """A month whose statement can be drawn: begun by `today` (the current one runs to date)."""
    found = _MONTH.fullmatch(text)
    if found is None or int(found[1]) < FIRST_DAY.year:
        raise month_not_valid()
    month = Month(int(found[1]), int(found[2]))
    if month.first_day > today:
        raise month_in_future()
    return month


class Standing(StrEnum):
    OK = "ok"
    LOW = "low"  # fewer days of cover left than the threshold
    NEGATIVE = "negative"  # drawn beyond what was pre-funded: settlements still go through


@dataclass(frozen=True)
class Cover:
    standing: Standing
    days_of_cover: Decimal | None  # None: nothing drawn over the window, the balance lasts indefinitely


def cover(balance: Decimal, drawn_in_window: Decimal, window_days: int, threshold_days: Decimal) -> Cover:
    """How many days the balance lasts at the window's average daily draw, and whether to warn:
    below zero always; below `threshold_days` of cover (the configured SETTLEMENT_FUND_LOW_DAYS_OF_COVER)
    as low. Only a warning: no settlement ever waits for the fund."""
    daily = drawn_in_window / window_days
    days = (balance / daily).quantize(_DAYS, ROUND_HALF_UP) if daily > 0 else None
    if balance < 0:
        return Cover(Standing.NEGATIVE, days)
    if days is not None and days < threshold_days:
        return Cover(Standing.LOW, days)
    return Cover(Standing.OK, days)
