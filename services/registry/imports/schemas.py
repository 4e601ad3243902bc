from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.categories import Category
from shared.types import BusinessDate, plain_text

ImportMode = Literal["incremental", "full"]
BatchId = plain_text(64)
MAX_ROWS = 300_000


class ListRowIn(BaseModel):
    """One row of a JSON list; fields are read leniently so a bad one rejects its row only."""

    model_config = ConfigDict(extra="forbid")

    id_number: str = Field(max_length=64, description="身份证号")
    name: str | None = Field(default=None, max_length=200, description="姓名")
    region_code: str | None = Field(default=None, max_length=64, description="区划代码")
    document_number: str | None = Field(default=None, max_length=200, description="认定文号（默认用批次文号）")
    approved_on: str | None = Field(default=None, max_length=64, description="认定日期（默认名单日期）")


class ListHeader(BaseModel):
    model_config = ConfigDict(extra="forbid")

    batch_id: BatchId = Field(description="批次号，由推送方给定；重发同一批次不会重复导入")  # type: ignore[valid-type]
    category: Category
    mode: ImportMode = Field(default="incremental", description="incremental 增量 / full 本月完整名单")
    region_code: str | None = Field(
        default=None, pattern=r"^[0-9]{6}$", description="完整名单的区划 (the region a full list covers)",
    )
    list_date: BusinessDate = Field(description="名单日期：新增者次月起、缺席者次月止 (the list's date)")
    document_number: plain_text(64) = Field(description="名单文号 (the list's document number)")  # type: ignore[valid-type]
    dry_run: bool = Field(default=False, description="只预览差异，不写入 (show the difference, write nothing)")


class ListImport(ListHeader):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "batch_id": "ZF-DB-2023-05", "category": "minimum_allowance", "mode": "full", "region_code": "370602",
        "list_date": "2023-05-10", "document_number": "芝民〔2023〕5月低保名单",
        "rows": [{"id_number": "370602199001011239", "name": "张三", "region_code": "370602"}],
    }]})

    rows: list[ListRowIn] = Field(min_length=1, max_length=MAX_ROWS)


class RowOutcome(BaseModel):
    row_no: int | None = Field(description="名单行号；缺席者为空 (empty for a person missing from a full list)")
    id_number: str = Field(description="身份证号；无 pii:read 权限时脱敏")
    name: str | None = Field(description="名单上的姓名，未填时为登记姓名 (the list's name, else the registered one)")
    outcome: Literal["accepted", "rejected"]
    action: str | None = Field(description="added 新增 / merged 合并 / unchanged 无变化 / ended 终止")
    reason_code: str | None = Field(description="拒绝原因代码 (why the row was rejected), e.g. bad_id_number")
    message: str | None = Field(description="说明，中文在前、英文在括号内 (bilingual)")


class Refusal(BaseModel):
    code: str = Field(examples=["full_list_has_unidentified_rows"])
    detail: str


class ImportSummary(BaseModel):
    batch_id: str
    agency: str
    category: Category
    mode: ImportMode
    region_code: str | None
    list_date: date
    dry_run: bool
    replayed: bool = Field(description="该批次此前已导入，本次未作改动 (sent before: nothing changed now)")
    rows: int
    accepted: int
    rejected: int
    added: int
    merged: int
    unchanged: int
    ended: int
    would_be_refused: bool = Field(
        default=False, description="预览：正式导入将被整体拒绝，原因见 refusal (dry run: the import would be refused)",
    )
    refusal: Refusal | None = Field(default=None, description="整体拒绝的代码与原因 (the code and reason)")
    changes: list[RowOutcome] = Field(
        description="预览：将发生的变化（新增、合并、终止）与被拒绝的行；正式导入：被拒绝的行。最多1000条，"
        "完整内容：预览以 Accept: text/csv 重发，正式导入下载 /v1/imports/{batch_id}/rows.csv"
        " (dry run: what would change and the rejected rows; import: the rejected rows; at most 1,000)",
    )
    changes_total: int = Field(description="changes 的完整条数 (how many there are in all)")
    truncated: bool = Field(description="changes 只列出了前1000条 (changes lists only the first 1,000)")
