from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from services.settlement.monitoring.repository import MonitoringRepository
from services.settlement.monitoring.rules import PERIOD_PROBLEMS, above, period_of
from services.settlement.monitoring.schemas import OutOfCatalogShares
from shared.auth import Principal, Role, Scope, require
from shared.db import DbSession
from shared.errors import problem_responses
from shared.types import BusinessDate

router = APIRouter(prefix="/v1/monitoring", tags=["monitoring 定点医疗机构监测"])
Ops = Annotated[Principal, Depends(require(Role.OPS, scope=Scope.SETTLEMENTS_READ))]


@router.get(
    "/out-of-catalog",
    summary="救助对象医保目录外费用占比超标的医院 (hospitals whose out-of-catalog share of beneficiaries' bills "
    "is above a share)",
    description="004 §四(十)：按出院日期计，期间为一个月份（period）或起止日期（含首尾）；不含已撤销的结算。"
    " By discharge date: a month (period=2023-03) or from_date and to_date, both days included; settlements in "
    "force of assistance beneficiaries; ops only.",
    responses=problem_responses(*PERIOD_PROBLEMS),
)
async def out_of_catalog(
    _: Ops,
    request: Request,
    session: DbSession,
    period: Annotated[str | None, Query(description="月份 YYYY-MM (a month)", examples=["2023-03"])] = None,
    from_date: Annotated[BusinessDate | None, Query(description="首日 (first day)")] = None,
    to_date: Annotated[BusinessDate | None, Query(description="末日 (last day)")] = None,
    min_share: Annotated[Decimal | None, Query(
        ge=0, le=1, decimal_places=4,
        description="列出占比高于此值的医院，默认取配置 (list the hospitals above this share; default "
        "SETTLEMENT_MONITORING_MIN_SHARE)")] = None,
) -> OutOfCatalogShares:
    window = period_of(period, from_date, to_date)
    threshold = request.app.state.settings.monitoring_min_share if min_share is None else min_share
    costs, without_split = await MonitoringRepository(await session.connection()).costs_by_hospital(window)
    return OutOfCatalogShares(
        from_date=window.first_day, to_date=window.last_day, min_share=threshold,
        settlements_without_split=without_split, items=above(costs, threshold),
    )
