from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query

from services.catalog.dependencies import Hospitals, Reader, Regions
from services.catalog.hospitals.models import HospitalRow
from services.catalog.hospitals.rules import is_designated
from services.catalog.hospitals.schemas import HospitalOut, HospitalPage
from services.catalog.regions.models import RegionRow
from services.catalog.regions.schemas import RegionRef
from services.catalog.regions.tree import ancestors, descendants
from shared import clock
from shared.errors import NotFound, problem_responses
from shared.types import BusinessDate, plain_text

router = APIRouter(prefix="/v1/hospitals", tags=["hospitals 定点医疗机构"])
OnDate = Annotated[BusinessDate | None, Query(description="日期，默认今天 (date; default today)")]


def _out(row: HospitalRow, regions: dict[str, RegionRow], on: date) -> HospitalOut:
    def ref(code: str) -> RegionRef:
        region = regions[code]
        return RegionRef(code=region.code, name=region.name, kind=region.kind)

    return HospitalOut(
        code=row.code, name=row.name, region=ref(row.region_code),
        region_path=[ref(c) for c in ancestors(regions, row.region_code)],
        ownership=row.ownership, level=row.level, designated=is_designated(row, on),
        designated_from=row.designated_from, designated_until=row.designated_until,
        designation_source=row.designation_source,
    )


@router.get("", summary="定点医疗机构列表 (designated hospitals, by region and name)",
            responses=problem_responses(NotFound("未知区划代码 370699 (unknown region code)", code="region_not_found")))
async def list_hospitals(
    _: Reader,
    hospitals: Hospitals,
    regions: Regions,
    region_code: Annotated[
        str | None, Query(pattern=r"^[0-9]{6}$", description="含下级区划 (incl. sub-regions)")
    ] = None,
    name: Annotated[plain_text(64) | None, Query(description="名称包含 (name contains)")] = None,  # type: ignore[valid-type]
    on: OnDate = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> HospitalPage:
    all_regions = await regions.all()
    region_codes = None
    if region_code is not None:
        if region_code not in all_regions:
            raise NotFound(f"未知区划代码 {region_code} (unknown region code)", code="region_not_found")
        region_codes = descendants(all_regions.values(), region_code)
    rows, total = await hospitals.search(region_codes=region_codes, name=name, limit=limit, offset=offset)
    day = on or clock.today()
    return HospitalPage(
        items=[_out(row, all_regions, day) for row in rows], total=total, limit=limit, offset=offset,
    )


@router.get("/{code}", summary="按编码查询医疗机构 (a hospital by code)", responses=problem_responses(
    NotFound("未知医疗机构编码 069999 (unknown hospital code)", code="hospital_not_found")))
async def read_hospital(
    code: Annotated[str, Path(pattern=r"^[0-9]{6,12}$", examples=["060001"])],
    _: Reader,
    hospitals: Hospitals,
    regions: Regions,
    on: OnDate = None,
) -> HospitalOut:
    row = await hospitals.by_code(code)
    if row is None:
        raise NotFound(f"未知医疗机构编码 {code} (unknown hospital code)", code="hospital_not_found")
    return _out(row, await regions.all(), on or clock.today())
