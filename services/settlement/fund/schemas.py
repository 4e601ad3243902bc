from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.settlement.fund.rules import Standing
from shared.money import Money, PositiveMoney
from shared.types import BusinessDate, plain_text

RegionCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]


class PreFundingRequest(BaseModel):
    """A pre-funding as civil affairs' transfer records it."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "region_code": "370602", "amount": "500000.00", "funded_on": "2023-03-01",
        "reference": "YMZ-2023-0301-01", "note": "2023年3月预拨",
    }]})

    region_code: RegionCode = Field(
        description="记入的账户：本市的区县市区划代码（市直 370601），或本市代码（全市统一预拨） "
        "(the account: a district of the city, 市直 370601 included, or the city for a city-wide pre-funding)")
    amount: PositiveMoney = Field(description="预拨金额（元） (the amount, yuan, above 0)")
    funded_on: BusinessDate = Field(description="到账日期，不晚于今天 (the day it reached the city centre)")
    reference: plain_text(64) = Field(description="拨款凭证号，唯一 (the transfer's reference; unique)")  # type: ignore[valid-type]
    note: plain_text(200) | None = Field(default=None, description="摘要 (a note)")  # type: ignore[valid-type]


_PRE_FUNDING_EXAMPLE = {
    "id": "5f0c2b1e9d8a4c7b8e6f1a2b3c4d5e6f", "region_code": "370602", "amount": "5000.00",
    "funded_on": "2023-03-05", "reference": "YMZ-2023-03-B", "note": None,
    "recorded_at": "2023-03-05T02:15:00Z", "recorded_by": "agency-yantai-mz",
}


class PreFunding(PreFundingRequest):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_PRE_FUNDING_EXAMPLE]})

    id: str
    recorded_at: datetime
    recorded_by: str = Field(description="录入人（令牌主体） (who recorded it: the token subject)")


class PreFundings(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [_PRE_FUNDING_EXAMPLE]}]})

    items: list[PreFunding]


class HospitalDraw(BaseModel):
    region_code: str = Field(description="记入的区县账户 (the district account)")
    hospital_code: str = Field(description="定点医疗机构编码；000000 为手工（零星）报销 (000000: manual claims)")
    settlements: int
    assistance: Money
    re_assistance: Money
    total: Money


class Cancellation(BaseModel):
    settlement_id: str
    region_code: str
    hospital_code: str
    settled_at: datetime
    cancelled_at: datetime
    returned: Money = Field(description="退回资金：该结算的医疗救助与再救助 (its assistance and re-assistance, back)")


class CorrectionLine(BaseModel):
    """One settlement of a correction proposal approved in the month whose civil-affairs funds moved."""

    proposal_id: str
    settlement_id: str
    region_code: str
    hospital_code: str
    decided_at: datetime = Field(description="批准时间 (when the proposal was approved)")
    assistance: Money = Field(description="医疗救助差额（更正后 − 更正前） (assistance after − before)")
    re_assistance: Money = Field(description="再救助差额 (re-assistance after − before)")
    total: Money = Field(description="合计：正数为更正补付（基金支出），负数为更正追回（退回基金） "
                         "(> 0 paid out by the fund, < 0 back to it)")


class Warning(BaseModel):
    standing: Standing = Field(description="ok / low（保障天数低于阈值） / negative（已透支）")
    days_of_cover: Decimal | None = Field(
        description="按近期日均支出，余额可支付的天数；近期无支出为 null (days the balance lasts at the recent "
        "daily draw; null when nothing was drawn)")
    threshold_days: Decimal = Field(description="预警阈值（天），配置 SETTLEMENT_FUND_LOW_DAYS_OF_COVER")
    window_days: int = Field(description="计算日均支出的天数 (the days the daily draw is averaged over)")
    message: str | None = Field(description="预警说明 (the warning, as printed on the statement)")


_NEGATIVE = {"standing": "negative", "days_of_cover": "-13.0", "threshold_days": "15", "window_days": 30,
             "message": "预警：预拨资金已透支，结算照常进行，请及时预拨 (overdrawn: settlements go on; pre-fund now)"}


class ClearingStatement(BaseModel):
    """民政医疗救（补）助往来 monthly clearing of one account: closing = opening + pre-funded − drawn +
    adjustments − corrections paid + corrections recovered. The example: 芝罘区 pre-funded 5,000.00 and
    drew POLICY.md §8 example 1 (8,814.40)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "region_code": "370602", "region_name": "芝罘区", "month": "2023-03", "first_day": "2023-03-01",
        "last_day": "2023-03-31", "to_date": False, "opening_balance": "0.00", "pre_funded": "5000.00",
        "drawn_assistance": "8814.40", "drawn_re_assistance": "0.00", "drawn": "8814.40", "adjustments": "0.00",
        "corrections_paid": "0.00", "corrections_recovered": "0.00", "closing_balance": "-3814.40",
        "settlements": 1, "cancellations_count": 0, "warning": _NEGATIVE,
        "pre_fundings": [_PRE_FUNDING_EXAMPLE],
        "by_hospital": [{"region_code": "370602", "hospital_code": "060016", "settlements": 1,
                         "assistance": "8814.40", "re_assistance": "0.00", "total": "8814.40"}],
        "cancellations": [], "corrections": [], "generated_at": "2023-04-01T01:00:00Z",
    }]})

    region_code: str
    region_name: str
    month: str = Field(examples=["2023-03"])
    first_day: date
    last_day: date
    to_date: bool = Field(description="本月尚未结束，数据截至生成时 (the month is not over: figures so far)")
    opening_balance: Money = Field(description="期初余额")
    pre_funded: Money = Field(description="本月预拨")
    drawn_assistance: Money = Field(description="本月医疗救助支出")
    drawn_re_assistance: Money = Field(description="本月再救助支出")
    drawn: Money = Field(description="本月支出合计")
    adjustments: Money = Field(description="本月调整：撤销结算退回（正数增加余额） (cancellations give back: positive)")
    corrections_paid: Money = Field(
        description="本月更正补付：本月批准的更正建议增加的医疗救助与再救助，由基金支出 (approved corrections that pay"
        " more assistance: drawn)")
    corrections_recovered: Money = Field(
        description="本月更正追回：本月批准的更正建议减少的医疗救助与再救助，退回基金 (approved corrections that pay"
        " less: back to the fund)")
    closing_balance: Money = Field(description="期末余额")
    settlements: int = Field(
        description="本月结算笔数（含其后撤销的） (settled in the month, later cancelled included)")
    cancellations_count: int = Field(description="本月撤销笔数（退回资金的） (cancelled in the month, with a draw)")
    warning: Warning
    pre_fundings: list[PreFunding]
    by_hospital: list[HospitalDraw]
    cancellations: list[Cancellation]
    corrections: list[CorrectionLine] = Field(
        description="本月批准的更正（逐笔结算） (the month's approved corrections, per settlement)")
    generated_at: datetime


class Balance(BaseModel):
    region_code: str
    balance: Money
    drawn_in_window: Money
    warning: Warning


class Balances(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [
        {"region_code": "370600", "balance": "-3814.40", "drawn_in_window": "8814.40", "warning": _NEGATIVE},
        {"region_code": "370602", "balance": "-3814.40", "drawn_in_window": "8814.40", "warning": _NEGATIVE},
    ]}]})

    items: list[Balance]
