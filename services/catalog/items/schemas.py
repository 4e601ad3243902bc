from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from shared.contracts.items import ItemCategory, ItemKind


class ItemOut(BaseModel):
    code: str = Field(description="医保目录编码 (national code)")
    name: str
    kind: ItemKind = Field(description="drug 药品 / treatment 诊疗项目 / consumable 医用耗材")
    category: ItemCategory = Field(description="A 甲类 / B 乙类 / C 丙类")
    pre_self_pay_ratio: Decimal = Field(description="先行自付比例 (乙类)")
    price_limit: Decimal | None = Field(description="限价 (yuan per unit; none when empty)")
    valid_from: date
    valid_to: date | None = Field(description="最后有效日 (last day in force; open when empty)")
    batch_id: str = Field(description="最后写入该版本的导入批次 (the import that last wrote it)")


class RowOutcome(BaseModel):
    row_no: int = Field(description="文件行号 (line of the file, the header being line 1)")
    code: str
    outcome: Literal["accepted", "rejected"]
    action: Literal["added", "changed", "unchanged", "ended"] | None
    reason_code: str | None
    message: str | None


class ItemImportSummary(BaseModel):
    batch_id: str
    dry_run: bool
    replayed: bool = Field(description="同一批次已导入，返回原结果 (the batch was imported before: its result)")
    rows: int
    accepted: int
    rejected: int
    added: int = Field(description="新编码 (new codes)")
    changed: int = Field(description="新版本或更正 (a new version of a code, or a correction of one)")
    unchanged: int
    ended: int = Field(description="新注明结束日期 (an end date newly given)")
    changes: list[RowOutcome] = Field(
        description="预览：被拒、新增、变更、终止的行；导入：被拒的行 (dry run: the rows that change something or are"
        " rejected; import: the rejected rows)")
    changes_total: int
    truncated: bool = Field(description="changes 只列前1000条 (changes lists the first 1,000 only)")
