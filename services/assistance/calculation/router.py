from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field, ValidationError, WithJsonSchema

from services.assistance.calculation.chain import NotComputable, calculate
from services.assistance.policies.book import NoPolicy, PolicyBook
from shared.auth import Principal, Role, Scope, require
from shared.contracts.calculation import CalculationRequest, CalculationResult
from shared.errors import Unprocessable, field_errors, problem_responses

router = APIRouter(prefix="/v1/calculations", tags=["calculations 救助计算"])
Calculator = Annotated[Principal, Depends(require(Role.SERVICE, Role.OPS, scope=Scope.CALCULATE))]
BATCH_LIMIT = 10_000


# Each item is validated on its own, so that one malformed item fails alone; the documented schema
# is still CalculationRequest's.
CalculationItem = Annotated[dict[str, Any], WithJsonSchema({"$ref": "#/components/schemas/CalculationRequest"})]


class BatchRequest(BaseModel):
    items: list[CalculationItem] = Field(min_length=1, max_length=BATCH_LIMIT)


class ItemProblem(BaseModel):
    code: str
    detail: str
    errors: list[dict[str, Any]] | None = Field(
        default=None, description="格式错误的字段 (the fields refused, for a malformed item)",
    )


class BatchItem(BaseModel):
    index: int = Field(description="该项在请求中的位置 (position in the request)")
    result: CalculationResult | None = None
    problem: ItemProblem | None = Field(default=None, description="不能计算的原因 (why it could not be computed)")


class BatchResult(BaseModel):
    computed: int
    failed: int
    items: list[BatchItem]


def _compute(request: Request, item: CalculationRequest) -> CalculationResult:
    book: PolicyBook = request.app.state.policy_book
    _, policy = book.select(item.region_code, item.discharged_on)
    calculation = calculate(policy, item, allow_unverified=request.app.state.allow_unverified)
    return CalculationResult.model_validate(calculation, from_attributes=True)


@router.post(
    "", summary="计算一次结算的各项基金支付 (compute one settlement: every fund's share, with a trace)",
    responses=problem_responses(422),
)
async def compute(_: Calculator, body: CalculationRequest, request: Request) -> CalculationResult:
    try:
        return _compute(request, body)
    except (NoPolicy, NotComputable) as exc:
        raise Unprocessable(str(exc), code=exc.code) from exc


@router.post(
    ":batch", summary="批量计算（重算用） (compute many settlements, e.g. for recalculation)",
    description=f"最多 {BATCH_LIMIT} 项；每项单独校验与计算：格式错误的项（validation_failed，附字段）或不能计算的项"
    "给出原因，其余照常。 Each item is validated and computed on its own: a malformed item (validation_failed,"
    " with its fields) or one that cannot be computed carries its problem, the others their result.",
)
async def compute_batch(_: Calculator, body: BatchRequest, request: Request) -> BatchResult:
    items: list[BatchItem] = []
    for index, raw in enumerate(body.items):
        try:
            items.append(BatchItem(index=index, result=_compute(request, CalculationRequest.model_validate(raw))))
        except ValidationError as exc:
            items.append(BatchItem(index=index, problem=ItemProblem(
                code="validation_failed", detail="该项校验未通过 (the item does not match the schema)",
                errors=field_errors(exc),
            )))
        except (NoPolicy, NotComputable) as exc:
            items.append(BatchItem(index=index, problem=ItemProblem(code=exc.code, detail=str(exc))))
    failed = sum(1 for i in items if i.problem is not None)
    return BatchResult(computed=len(items) - failed, failed=failed, items=items)
