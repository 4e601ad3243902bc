from typing import Annotated

from fastapi import APIRouter, Depends, Request

from services.assistance.calculation.chain import NotComputable, calculate
from services.assistance.policies.book import NoPolicy, PolicyBook
from shared.auth import Principal, Role, Scope, require
from shared.contracts.calculation import CalculationRequest, CalculationResult
from shared.errors import Unprocessable, problem_responses

router = APIRouter(prefix="/v1/calculations", tags=["calculations 救助计算"])


@router.post(
    "", summary="计算一次结算的各项基金支付 (compute one settlement: every fund's share, with a trace)",
    responses=problem_responses(422),
)
async def compute(
    _: Annotated[Principal, Depends(require(Role.SERVICE, Role.OPS, scope=Scope.CALCULATE))],
    body: CalculationRequest,
    request: Request,
) -> CalculationResult:
    book: PolicyBook = request.app.state.policy_book
    try:
        _, policy = book.select(body.region_code, body.discharged_on)
        return calculate(policy, body)
    except (NoPolicy, NotComputable) as exc:
        raise Unprocessable(str(exc), code=exc.code) from exc
