from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.settlement.audit.repository import LookupAuditRepository
from services.settlement.audit.schemas import LookupOutliers
from services.settlement.audit.service import outliers
from shared.auth import Principal, Role, Scope, require
from shared.clock import SHANGHAI
from shared.db import DbSession
from shared.errors import Unprocessable
from shared.types import BusinessDate

router = APIRouter(prefix="/v1/audit", tags=["audit 查询审计"])
Ops = Annotated[Principal, Depends(require(Role.OPS, scope=Scope.SETTLEMENTS_READ))]
MAX_DAYS = 366


@router.get(
    "/lookups",
    summary="查询参保人身份远多于结算的医院 (hospitals whose look-ups of persons far outnumber their settlements)",
    description="按上海日期计（含首尾两日）。 Dates in Asia/Shanghai, both days included; ops only.",
)
async def lookup_outliers(
    _: Ops,
    session: DbSession,
    from_date: Annotated[BusinessDate, Query(description="首日 (first day)")],
    to_date: Annotated[BusinessDate, Query(description="末日 (last day)")],
    min_ratio: Annotated[Decimal, Query(gt=0, le=1000, decimal_places=2,
                                        description="查询/结算 超过此值 (look-ups per settlement above this)")]
    = Decimal(3),
) -> LookupOutliers:
    if from_date > to_date:
        raise Unprocessable("起始日期晚于截止日期 (from_date is after to_date)", code="invalid_date_range")
    if (to_date - from_date).days >= MAX_DAYS:
        raise Unprocessable(f"查询区间不能超过{MAX_DAYS}天 (at most {MAX_DAYS} days at once)",
                            code="date_range_too_long")
    # In UTC: the instants the rows hold (SQLite keeps them without their offset).
    start = datetime.combine(from_date, time(), SHANGHAI).astimezone(UTC)
    end = datetime.combine(to_date + timedelta(days=1), time(), SHANGHAI).astimezone(UTC)
    counts = await LookupAuditRepository(await session.connection()).counts_by_hospital(start, end)
    return LookupOutliers(from_date=from_date, to_date=to_date, min_ratio=min_ratio, items=outliers(counts, min_ratio))
