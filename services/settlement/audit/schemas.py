from datetime import date
from decimal import Decimal

from pydantic import BaseModel, Field


class HospitalLookups(BaseModel):
    hospital_code: str
    lookups: int = Field(description="查询参保人身份次数 (look-ups of persons: admissions and settlements)")
    settlements: int = Field(description="结算笔数（含已撤销） (settlements settled, cancelled ones included)")
    ratio: Decimal | None = Field(
        description="查询/结算，两位小数；无结算时为空 (look-ups per settlement, 2 decimals; null if none)")


class LookupOutliers(BaseModel):
    from_date: date
    to_date: date
    min_ratio: Decimal
    items: list[HospitalLookups] = Field(
        description="查询次数远超结算笔数的医院，比值从高到低 (hospitals whose look-ups outnumber their "
        "settlements by more than min_ratio, highest first; a hospital with look-ups and no settlement first)"
    )
