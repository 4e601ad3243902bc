from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Row

from shared.money import Money

BATCH_EXAMPLE = {
    "id": "0f5c2a8e6b9d4e1f8a7b6c5d4e3f2a1b", "status": "calculated", "source": "csv", "note": "上线前结算补算",
    "rows_total": 3, "rows_done": 3, "chunks_total": 1, "chunks_done": 1,
    "rejected_rows": [{"line": 5, "reason": "bill.total: 缺少必填字段"}],
    "assistance": "24950.80", "re_assistance": "0.00", "not_computed": 0,
    "created_at": "2026-11-30T08:00:00Z", "created_by": "ops-1", "calculated_at": "2026-11-30T08:00:02Z",
    "decided_at": None, "decided_by": None, "decision_reason": None,
}


class RejectedRow(BaseModel):
    line: int = Field(description="CSV 行号（含表头为第1行）或 JSON 项序号（从1起）")
    reason: str


class Batch(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [BATCH_EXAMPLE]})

    id: str
    status: str = Field(description="uploaded 已上传 / calculating 计算中 / calculated 已计算 / approved 已批准 / "
                        "rejected 已驳回")
    source: str = Field(description="csv / json")
    note: str
    rows_total: int = Field(description="待计算的行数 (rows to compute)")
    rows_done: int = Field(description="已计算并保存的行数 (rows computed and committed)")
    chunks_total: int
    chunks_done: int
    rejected_rows: list[RejectedRow] = Field(description="上传时被拒的行及原因 (rows refused at upload, and why)")
    assistance: Money = Field(description="已计算行的医疗救助合计 (assistance of the rows computed so far)")
    re_assistance: Money = Field(description="已计算行的再救助合计")
    not_computed: int = Field(description="不能计算的行数（如医院未知、无有效政策） (rows that could not be computed)")
    created_at: datetime
    created_by: str
    calculated_at: datetime | None
    decided_at: datetime | None
    decided_by: str | None
    decision_reason: str | None

    @classmethod
    def of(cls, row: Row, totals: Row) -> "Batch":
        fields: dict[str, Any] = {name: getattr(row, name) for name in cls.model_fields if hasattr(row, name)}
        return cls(**fields, assistance=totals.assistance, re_assistance=totals.re_assistance,
                   not_computed=totals.not_computed)


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


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "reason": "经核对与医保结算记录一致，同意拨付"}]})

    reason: str = Field(min_length=1, max_length=500, description="审核意见 (why)")
