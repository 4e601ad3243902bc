from pydantic import BaseModel, Field


class RegionRef(BaseModel):
    code: str = Field(examples=["370602"])
    name: str = Field(examples=["芝罘区"])
    kind: str = Field(description="province / city / district / county / county_city / zone / city_level")


class RegionNode(RegionRef):
    children: list["RegionNode"] = Field(default_factory=list)


class RegionDetail(RegionRef):
    parent_code: str | None
    path: list[RegionRef] = Field(description="上级区划，自省起 (ancestors from the province down)")
    children: list[RegionRef]
