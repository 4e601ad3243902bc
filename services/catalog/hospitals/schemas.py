from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from services.catalog.regions.schemas import RegionRef


class HospitalOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "code": "060001", "name": "毓璜顶医院", "region": {"code": "370601", "name": "市直", "kind": "city_level"},
        "region_path": [{"code": "370000", "name": "山东省", "kind": "province"},
                        {"code": "370600", "name": "烟台市", "kind": "city"}],
        "ownership": "公立", "level": None, "designated": True, "designated_from": "2018-05-22",
        "designated_until": None, "designation_source": "烟台市医疗救助“一站式”即时结算第一批定点医疗机构（2018）",
    }]})

    code: str = Field(description="定点医疗机构编码 (hospital code)", examples=["060001"])
    name: str = Field(examples=["毓璜顶医院"])
    region: RegionRef
    region_path: list[RegionRef] = Field(description="上级区划 (ancestors of the region)")
    ownership: str = Field(description="公立 / 民营 (public / private)")
    level: str | None = Field(description="医院等级；2018年名单未载明 (level; not in the 2018 list)")
    designated: bool = Field(description="查询日是否为一站式结算定点 (designated on the date asked)")
    designated_from: date | None
    designated_until: date | None
    designation_source: str | None = Field(description="定点依据 (the notice that designated it)")


class HospitalPage(BaseModel):
    items: list[HospitalOut]
    total: int
    limit: int
    offset: int
