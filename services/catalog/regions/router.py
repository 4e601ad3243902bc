from typing import Annotated

from fastapi import APIRouter, Path

from services.catalog.dependencies import Reader, Regions
from services.catalog.regions.models import RegionRow
from services.catalog.regions.schemas import RegionDetail, RegionNode, RegionRef
from services.catalog.regions.tree import ancestors
from shared.errors import NotFound, problem_responses

router = APIRouter(prefix="/v1/regions", tags=["regions 行政区划"])


def _ref(row: RegionRow) -> RegionRef:
    return RegionRef(code=row.code, name=row.name, kind=row.kind)


@router.get("", summary="区划树 (the region tree)")
async def region_tree(_: Reader, regions: Regions) -> list[RegionNode]:
    rows = await regions.all()
    nodes = {code: RegionNode(code=r.code, name=r.name, kind=r.kind) for code, r in rows.items()}
    roots: list[RegionNode] = []
    for code, row in rows.items():
        (nodes[row.parent_code].children if row.parent_code else roots).append(nodes[code])
    return roots


@router.get("/{code}", summary="区划详情 (a region with its path and children)",
            responses=problem_responses(NotFound("未知区划代码 370699 (unknown region code)", code="region_not_found")))
async def region_detail(
    _: Reader, code: Annotated[str, Path(pattern=r"^[0-9]{6}$", examples=["370602"])], regions: Regions,
) -> RegionDetail:
    rows = await regions.all()
    row = rows.get(code)
    if row is None:
        raise NotFound(f"未知区划代码 {code} (unknown region code)", code="region_not_found")
    return RegionDetail(
        **_ref(row).model_dump(), parent_code=row.parent_code,
        path=[_ref(rows[c]) for c in ancestors(rows, code)],
        children=[_ref(r) for r in rows.values() if r.parent_code == code],
    )
