from datetime import date

from pydantic import BaseModel, Field

from services.registry.identities.schemas import IdentityOut
from services.registry.persons.schemas import InsuranceType


class Eligibility(BaseModel):
    id_number: str = Field(description="身份证号；无 pii:read 权限时脱敏 (masked without pii:read)")
    on: date = Field(description="查询日期 (the date asked about)")
    insured: bool = Field(description="是否参保 (insured on that date)")
    insurance_type: InsuranceType
    region_code: str
    identities: list[IdentityOut] = Field(
        description="当日有效的救助身份，按政策顺序 (identities in force, in policy order)"
    )
