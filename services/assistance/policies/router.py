from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from services.assistance.policies.book import NoPolicy, PolicyBook
from services.assistance.policies.catalog import PolicyInfo
from services.assistance.policies.model import Placeholder, Policy
from shared.auth import require
from shared.errors import NotFound, problem_responses
from shared.types import BusinessDate

router = APIRouter(prefix="/v1/policies", tags=["policies 救助政策"], dependencies=[Depends(require())])


class PolicyDetail(BaseModel):
    policy: PolicyInfo
    parameters: Policy = Field(description="全部计算参数，每项注明依据 (every parameter, each citing its source)")
    placeholders: list[Placeholder] = Field(
        description="文件未载、须本地核实的参数及其核实状态 (every figure not in the documents, and verified or not)",
    )
    unverified_allowed: bool = Field(
        description="本部署是否允许未核实的参数支付 (ASSISTANCE_ALLOW_UNVERIFIED: whether placeholders pay here)",
    )


def _detail(request: Request, info: PolicyInfo, parameters: Policy) -> PolicyDetail:
    return PolicyDetail(policy=info, parameters=parameters, placeholders=parameters.placeholders,
                        unverified_allowed=request.app.state.allow_unverified)


class RegionPolicies(BaseModel):
    region_code: str
    policies: list[PolicyInfo] = Field(description="按生效日期排序 (by effective date)")


async def _book(request: Request) -> PolicyBook:
    return request.app.state.policy_book


Book = Annotated[PolicyBook, Depends(_book)]


@router.get("", summary="政策目录 (the policies, optionally those in force on a date)")
async def list_policies(
    book: Book,
    on: Annotated[BusinessDate | None, Query(description="只列出该日有效的政策 (only those in force)")] = None,
) -> list[PolicyInfo]:
    return [p for p in book.index if on is None or p.in_force(on)]


@router.get("/regions", summary="有救助政策的区划 (the regions that have policies, with their policies)")
async def list_regions(book: Book) -> list[RegionPolicies]:
    regions = sorted({p.region_code for p in book.index})
    return [RegionPolicies(region_code=code, policies=sorted(
        (p for p in book.index if p.region_code == code), key=lambda p: p.effective_from,
    )) for code in regions]


@router.get(
    "/in-force", summary="某区划某日适用的政策及其参数 (the policy a settlement there and then would use)",
    responses=problem_responses(
        NotFound("区划 370602 在 2015-06-01 无有效救助政策 (no policy in force)", code="no_policy"),
    ),
)
async def policy_in_force(
    book: Book, request: Request,
    region_code: Annotated[str, Query(pattern=r"^[0-9]{6}$", description="医院所在区划")],
    on: Annotated[BusinessDate, Query(description="出院日期 (discharge date)")],
) -> PolicyDetail:
    try:
        info, parameters = book.select(region_code, on)
    except NoPolicy as exc:
        raise NotFound(str(exc), code=exc.code) from exc
    return _detail(request, info, parameters)


@router.get("/{policy_id}", summary="一项政策及其参数 (a policy and its parameters)",
            responses=problem_responses(NotFound("无此政策 yantai-2099 (no such policy)", code="policy_not_found")))
async def read_policy(
    book: Book, request: Request, policy_id: Annotated[str, Path(pattern=r"^[a-z0-9-]{1,64}$")],
) -> PolicyDetail:
    info = next((p for p in book.index if p.id == policy_id), None)
    if info is None:
        raise NotFound(f"无此政策 {policy_id} (no such policy)", code="policy_not_found")
    return _detail(request, info, book.parameters[policy_id])


