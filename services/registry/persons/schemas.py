from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from shared.categories import InsuranceType
from shared.id_number import IdNumberStr
from shared.types import plain_text

RegionCode = Annotated[
    str, StringConstraints(pattern=r"^[0-9]{6}$"),
    Field(description="6位行政区划代码 (6-digit region code)", examples=["370602"]),
]


class PersonCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "id_number": "370602199001011239", "name": "张三", "insurance_type": "resident",
        "region_code": "370602",
    }]})

    id_number: IdNumberStr
    name: plain_text(64) = Field(description="姓名 (name)")  # type: ignore[valid-type]
    insurance_type: InsuranceType = Field(description="险种：职工 employee / 居民 resident")
    region_code: RegionCode


class PersonOut(BaseModel):
    id_number: str = Field(description="身份证号；无 pii:read 权限时脱敏 (masked without pii:read)")
    name: str
    gender: str = Field(description="性别，由身份证号推出 (from the ID number): male / female")
    birth_on: date
    insurance_type: InsuranceType
    region_code: str
    created_at: datetime
