from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from services.settlement.alerts.rules import (
    IncomeFigure,
    Threshold,
    income_figure_missing,
    month_not_in_year,
    no_rule_in_force,
)
from services.settlement.alerts.schemas import HighCostAlerts, HighCostRun, RunRequest
from services.settlement.alerts.service import AlertService
from services.settlement.fund.rules import month_in_future, month_not_valid
from shared.auth import Principal, Role, require
from shared.errors import problem_responses
from shared.types import FIRST_DAY, LAST_DAY

router = APIRouter(prefix="/v1/alerts/high-cost", tags=["alerts 高额医疗费用支出预警监测"])
Ops = Annotated[Principal, Depends(require(Role.OPS))]
# Civil affairs and rural revitalization read the lists, each its own (the token's agency claim).
Readers = Annotated[Principal, Depends(require(Role.AGENCY, Role.OPS))]


def _service(request: Request) -> AlertService:
    return request.app.state.alerts


Service = Annotated[AlertService, Depends(_service)]


@router.post(
    "/runs", status_code=201,
    responses=problem_responses(month_not_valid(), month_in_future(), income_figure_missing(), no_rule_in_force()),
    summary="运行月度高额费用预警监测 (run a month's high-cost monitoring)",
    description="烟政办发〔2022〕25号 四(九)：计至该月末，本年度经基本医保、大病保险、职工大额医疗费用补助报销后"
    "个人累计负担超过全省上年度居民人均可支配收入50%的低保边缘家庭成员、防止返贫监测帮扶对象，及超过150%的普通参保人员，"
    "记入预警名单。每人每年每条预警线只预警一次；重复运行不重复预警。未配置上年度收入的年度拒绝运行。"
    " To the month's end: the persons past 50% (allowance margin, poverty monitoring) or 150% (no assistance"
    " identity) of the province's previous-year per-capita disposable income are flagged, once per year per"
    " line; a run again writes nothing new. A year with no income figure is refused. Ops only.",
)
async def run(principal: Ops, body: RunRequest, service: Service) -> HighCostRun:
    return await service.run(body.month, principal)


@router.get(
    "", responses=problem_responses(month_not_in_year()), summary="高额费用预警名单 (the high-cost alert list)",
    description="民政部门令牌见低保边缘家庭成员，乡村振兴部门令牌见防止返贫监测帮扶对象，二者均见普通参保人员；运维见全部。"
    "身份证号脱敏，令牌具 pii:read 时显示全号。 Civil affairs sees the allowance-margin flags, rural revitalization"
    " the poverty-monitoring ones, both the ordinary insured; ops all. ID numbers masked without pii:read.",
)
async def listing(
    principal: Readers,
    service: Service,
    year: Annotated[int, Query(ge=FIRST_DAY.year, le=LAST_DAY.year, description="年度 (the year)", examples=[2023])],
    month: Annotated[str | None, Query(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", examples=["2023-03"],
                                       description="仅列该月新增 (only the flags of that month's run)")] = None,
    threshold: Annotated[Threshold | None, Query(description="monitored (50%) / ordinary (150%)")] = None,
) -> HighCostAlerts:
    return await service.listing(year, month, threshold, principal)


@router.get(
    "/income-figures", summary="全省居民人均可支配收入配置 (the province's income figures and whether verified)",
    description="各年度全省居民人均可支配收入；verified=false 为待核实的占位数。 The figure of each year;"
    " verified=false: a placeholder to confirm against the province's statistical bulletin.",
)
async def income_figures(_: Readers, service: Service) -> list[IncomeFigure]:
    return service.data.incomes
