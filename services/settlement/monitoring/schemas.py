from datetime import date
from decimal import Decimal

from pydantic import BaseModel, Field

from shared.money import Money


class HospitalOutOfCatalog(BaseModel):
    hospital_code: str
    settlements: int = Field(description="救助对象结算笔数（不含已撤销） (settlements in force of beneficiaries)")
    total_cost: Money = Field(description="医疗费用总额合计 (sum of the bills' medfee_sumamt)")
    out_of_catalog_cost: Money = Field(description="医保目录范围外费用：全自费合计 (sum of fulamt_ownpay_amt)")
    share: Decimal = Field(description="目录外费用占比，四位小数 (out-of-catalog cost / total cost, 4 decimals)")
    over_limit_cost: Money = Field(description="超限价自费合计，仅供参考 (sum of overlmt_selfpay, for reference)")
    share_with_over_limit: Decimal = Field(
        description="（全自费+超限价自费）/总额，四位小数，仅供参考 (full self-pay and over-limit / total, 4 decimals)")


class OutOfCatalogShares(BaseModel):
    from_date: date = Field(description="首日，出院日期 (first discharge day)")
    to_date: date = Field(description="末日，出院日期 (last discharge day)")
    min_share: Decimal
    settlements_without_split: int = Field(
        description="期间内未记录费用分项、未计入的结算笔数 (settlements of the period recorded before their "
        "bill's split was kept, left out of the figures)")
    items: list[HospitalOutOfCatalog] = Field(
        description="目录外费用占比高于 min_share 的医院，从高到低 (hospitals whose out-of-catalog share is above "
        "min_share, highest first)")
