from datetime import datetime

from pydantic import BaseModel, Field

from services.settlement.alerts.rules import Threshold
from shared.categories import Category
from shared.money import Money

_ALERT_EXAMPLE = {
    "id_number": "370602********1239", "year": 2023, "month": "2023-03", "threshold": "monitored",
    "category": "poverty_monitoring", "burden": "19600.00", "line": "18780.00", "income": "37560.00",
    "income_verified": False, "settlements": 2, "flagged_at": "2026-11-30T15:02:11.314159Z",
}


class RunRequest(BaseModel):
    model_config = {"json_schema_extra": {"examples": [{"month": "2023-03"}]}}

    month: str = Field(description="监测月份 YYYY-MM：计至该月末（当月计至今日） (the month; to its end, the current "
                       "month to date)", examples=["2023-03"])


class HighCostAlert(BaseModel):
    model_config = {"json_schema_extra": {"examples": [_ALERT_EXAMPLE]}}

    id_number: str = Field(description="脱敏身份证号，pii:read 可见全号 (masked unless the token holds pii:read)")
    year: int
    month: str = Field(description="首次超线的监测月份 (the month whose run flagged the person)")
    threshold: Threshold = Field(description="monitored: 低保边缘/监测帮扶超50%；ordinary: 普通参保人员超150%")
    category: Category | None = Field(description="所属监测身份；普通参保人员为空 (the monitored identity)")
    burden: Money = Field(description="经基本医保、大病保险、职工大额医疗费用补助报销后个人累计负担，计至该月末 "
                          "(cumulative personal burden after the three insurances, at the month's end)")
    line: Money = Field(description="预警线 = 上年度全省居民人均可支配收入 × 50% 或 150% (the line it passed)")
    income: Money = Field(description="上年度全省居民人均可支配收入 (the province's income figure used)")
    income_verified: bool = Field(description="false：该收入为待核实的占位数 (a placeholder figure, to confirm)")
    settlements: int = Field(description="计入的结算笔数（不含已撤销） (settlements in force summed)")
    flagged_at: datetime


class HighCostRun(BaseModel):
    model_config = {"json_schema_extra": {"examples": [{
        "month": "2023-03", "income_year": 2022, "income": "37560.00", "income_verified": False,
        "monitored_line": "18780.00", "ordinary_line": "56340.00", "flagged": 1, "items": [_ALERT_EXAMPLE],
    }]}}

    month: str
    income_year: int = Field(description="所用收入的年度（上年度） (the income figure's year: the year before)")
    income: Money
    income_verified: bool
    monitored_line: Money = Field(description="低保边缘、监测帮扶预警线 (50%)")
    ordinary_line: Money = Field(description="普通参保人员预警线 (150%)")
    flagged: int = Field(description="本次新增预警人数；已预警者不再重复 (new flags; none twice)")
    items: list[HighCostAlert] = Field(description="本次新增的预警 (the new flags)")


class HighCostAlerts(BaseModel):
    year: int
    month: str | None
    items: list[HighCostAlert] = Field(description="按预警先后 (in the order flagged)")
