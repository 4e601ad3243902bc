from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Row

from services.settlement.corrections.rules import FUNDS
from shared.money import Money
from shared.types import BusinessDate, HospitalCode

BATCH_EXAMPLE = {
    "id": "0f5c2a8e6b9d4e1f8a7b6c5d4e3f2a1b", "status": "calculated", "source": "csv", "note": "上线前结算补算",
    "rows_total": 3, "rows_done": 3, "chunks_total": 1, "chunks_done": 1,
    "rejected_rows": [{"line": 5, "reason": "bill.total: 缺少必填字段"}],
    "assistance": "24950.80", "re_assistance": "0.00", "not_computed": 0,
    "created_at": "2026-11-30T08:00:00Z", "created_by": "ops-1", "calculated_at": "2026-11-30T08:00:02Z",
    "decided_at": None, "decided_by": None, "decision_reason": None, "range": None, "differences": None,
}
_NO_DIFFERENCE = dict.fromkeys(FUNDS, "0.00")
RANGE_BATCH_EXAMPLE = {
    **BATCH_EXAMPLE, "id": "7d3e9a1c5b2f4e8d9a6c3b1e5f7a9c2d", "source": "range",
    "note": "2023年低保救助比例更正后重算",
    "rows_total": 2, "rows_done": 2, "rejected_rows": [], "assistance": "25666.20", "re_assistance": "0.00",
    "range": {"from_date": "2023-01-01", "to_date": "2023-12-31", "region_code": "370600", "hospital_code": None},
    "differences": {**_NO_DIFFERENCE, "assistance": "2851.80", "re_assistance": "-492.52",
                    "personal_share": "-2359.28"},
}


class RejectedRow(BaseModel):
    line: int = Field(description="CSV 行号（含表头为第1行）或 JSON 项序号（从1起）")
    reason: str


class DischargeRangeOut(BaseModel):
    from_date: date = Field(description="出院日期自（含） (first discharge day)")
    to_date: date = Field(description="出院日期至（含） (last discharge day)")
    region_code: str | None = Field(description="政策区划 (the policy region), 不限则为空")
    hospital_code: str | None = Field(description="医疗机构, 不限则为空")


class Batch(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [BATCH_EXAMPLE, RANGE_BATCH_EXAMPLE]})

    id: str
    status: str = Field(description="uploaded 已上传 / calculating 计算中 / calculated 已计算 / approved 已批准 / "
                        "rejected 已驳回")
    source: str = Field(description="csv / json 上传；range 按出院日期范围重算平台内已有结算 (settlements already in"
                        " the platform, by discharge date)")
    note: str
    rows_total: int = Field(description="待计算的行数；range 为范围内的结算笔数 (rows to compute; range: the range's"
                            " settlements)")
    rows_done: int = Field(description="已计算并保存的行数 (rows computed and committed)")
    chunks_total: int
    chunks_done: int
    rejected_rows: list[RejectedRow] = Field(description="上传时被拒的行及原因 (rows refused at upload, and why)")
    assistance: Money = Field(description="已计算行的医疗救助合计；range 为重算后的合计 (assistance of the rows"
                              " computed so far; range: as replayed)")
    re_assistance: Money = Field(description="已计算行的再救助合计")
    not_computed: int = Field(description="不能计算的行数（如医院未知、无有效政策；range 为未能重算者的范围内结算笔数）"
                              " (rows that could not be computed)")
    created_at: datetime
    created_by: str
    calculated_at: datetime | None
    decided_at: datetime | None
    decided_by: str | None
    decision_reason: str | None
    range: DischargeRangeOut | None = Field(default=None, description="range 批次的出院日期范围与条件")
    differences: dict[str, Money] | None = Field(
        default=None, description="range：已重算结算各项基金与个人自付的差额合计（重算 − 原付），到分 (each fund's"
        " difference, replayed − paid, summed over the settlements replayed so far)")

    @classmethod
    def of(cls, row: Row, totals: Row) -> "Batch":
        fields: dict[str, Any] = {name: getattr(row, name) for name in cls.model_fields if hasattr(row, name)}
        ranged = row.from_date is not None
        return cls(**fields, assistance=totals.assistance, re_assistance=totals.re_assistance,
                   not_computed=totals.not_computed,
                   range=DischargeRangeOut(from_date=row.from_date, to_date=row.to_date, region_code=row.region_code,
                                           hospital_code=row.hospital_code) if ranged else None,
                   differences={name: getattr(totals, f"{name}_difference") for name in FUNDS} if ranged else None)


class JsonUpload(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "note": "上线前结算补算", "items": [{
            "id_number": "370602199001011239", "hospital_code": "060001", "admitted_on": "2023-03-01",
            "discharged_on": "2023-03-20", "medical_type": "inpatient",
            "bill": {"total": "50000", "full_self_pay": "3000", "pre_self_pay": "2000",
                     "basic_insurance_paid": "26520", "critical_illness_paid": "7462"},
        }],
    }]})

    note: str = Field(default="", max_length=200, description="批次说明 (what the batch is for)")
    items: list[dict[str, Any]] = Field(
        min_length=1, max_length=100_000,
        description="历史结算，每项形如 HistoricSettlement；每项单独校验，错误的项随批次报告 "
        "(each validated on its own; bad items are reported with the batch)")


class RangeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "from_date": "2023-01-01", "to_date": "2023-12-31", "region_code": "370600",
        "note": "2023年低保救助比例更正后重算"}]})

    from_date: BusinessDate = Field(description="出院日期自（含） (first discharge day, included)")
    to_date: BusinessDate = Field(description="出院日期至（含），至多366天 (last discharge day, included; 366 days"
                                  " at most)")
    region_code: str | None = Field(
        default=None, pattern=r"^[0-9]{6}$",
        description="政策区划：仅重算按该区划（含下级）政策计算的结算 (only settlements calculated for this region or"
        " inside it)")
    hospital_code: HospitalCode | None = Field(default=None, description="仅重算该医疗机构的结算")
    note: str = Field(default="", max_length=200, description="批次说明 (what the batch is for)")


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "reason": "经核对与医保结算记录一致，同意拨付"}]})

    reason: str = Field(min_length=1, max_length=500, description="审核意见 (why)")
