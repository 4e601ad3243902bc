import unicodedata
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from shared.categories import InsuranceType
from shared.id_number import IdNumberStr
from shared.types import BusinessDate, plain_text

RegionCode = Annotated[
    str, StringConstraints(pattern=r"^[0-9]{6}$"),
    Field(description="6位行政区划代码 (6-digit region code)", examples=["370602"]),
]
InsuranceStatus = Literal["active", "suspended", "ended"]
MAX_NAME = 64
_INVISIBLE = {"Cf", "Zl", "Zp"}  # format characters (bidi controls, zero-width ones, BOM) and line breaks


def check_name(value: str) -> str:
    """A person's name shows as it reads: no bidi control (U+202A–U+202E, U+2066–U+2069), no
    zero-width character (U+200B–U+200F, U+2060, U+FEFF), which would make one name display as
    another or two equal-looking names differ."""
    if any(unicodedata.category(ch) in _INVISIBLE for ch in value):
        raise ValueError("姓名含不可见的控制字符或零宽字符 (the name contains bidi controls or zero-width characters)")
    return value


PersonName = Annotated[plain_text(MAX_NAME), AfterValidator(check_name), Field(description="姓名 (name)")]  # type: ignore[valid-type]
INSURED_SINCE_UNKNOWN = date(1900, 1, 1)


class PersonCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "id_number": "370602199001011239", "name": "张三", "insurance_type": "resident",
        "region_code": "370602", "insured_from": "2015-01-01",
    }]})

    id_number: IdNumberStr
    name: PersonName
    insurance_type: InsuranceType = Field(description="险种：职工 employee / 居民 resident")
    region_code: RegionCode
    insured_from: BusinessDate | None = Field(
        default=None, description="参保起始日；不填表示早于任何查询日期 (omitted: insured before any date asked)",
    )


class PersonUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "region_code": "370613", "reason": "户籍迁至莱山区 (moved to Laishan)",
    }]})

    name: PersonName | None = None
    region_code: RegionCode | None = None
    reason: plain_text(128) = Field(description="变更原因 (why)")  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _something(self) -> "PersonUpdate":
        if self.name is None and self.region_code is None:
            raise ValueError("须给出姓名或区划代码 (give name or region_code)")
        return self


class InsuranceChange(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "status": "suspended", "insurance_type": "resident", "effective_from": "2023-07-01",
        "reason": "欠费暂停 (contributions unpaid)",
    }]})

    status: InsuranceStatus = Field(description="active 参保 / suspended 暂停 / ended 终止")
    insurance_type: InsuranceType
    effective_from: BusinessDate
    reason: plain_text(128) | None = None  # type: ignore[valid-type]


class InsuranceEventOut(BaseModel):
    effective_from: date
    status: InsuranceStatus
    insurance_type: InsuranceType
    reason: str | None
    recorded_by: str
    recorded_at: datetime


class PersonOut(BaseModel):
    id_number: str = Field(description="身份证号；无 pii:read 权限时脱敏 (masked without pii:read)")
    name: str
    gender: str = Field(description="性别，由身份证号推出 (from the ID number): male / female")
    birth_on: date
    insurance_type: InsuranceType = Field(description="最近一次参保登记的险种 (as last enrolled)")
    region_code: str
    created_at: datetime


class PersonPage(BaseModel):
    items: list[PersonOut]
    total: int
    limit: int
    offset: int
