from datetime import date
from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field, ValidationError, WithJsonSchema
from starlette.concurrency import run_in_threadpool

from services.assistance.calculation.chain import NotComputable, calculate
from services.assistance.calculation.result import JSON, Calculation
from services.assistance.policies.book import NoPolicy, PolicyBook
from services.assistance.policies.model import Policy
from shared.auth import Principal, Role, Scope, require
from shared.contracts.calculation import CalculationRequest, CalculationResult, IllnessPovertyGrant
from shared.errors import Unprocessable, field_errors, problem_responses

router = APIRouter(prefix="/v1/calculations", tags=["calculations 救助计算"])
Calculator = Annotated[Principal, Depends(require(Role.SERVICE, Role.OPS, scope=Scope.CALCULATE))]


# Each item is validated on its own, so that one malformed item fails alone; the documented schema
# is still CalculationRequest's.
CalculationItem = Annotated[dict[str, Any], WithJsonSchema({"$ref": "#/components/schemas/CalculationRequest"})]


class BatchRequest(BaseModel):
    items: list[CalculationItem] = Field(
        min_length=1,
        description="至多 CALCULATION_BATCH_MAX_ITEMS 项，默认 10,000 (at most the configured number, 10,000)",
    )
    chained: bool = Field(
        default=False,
        description="按序重放（更正用）：与上一项同一年度的项从上一项的 year_to_date_after 起算，与上一项同一因病致贫"
        "认定的项从上一项的 illness_poverty_grant_after 起算；一项不能计算，其后各项亦不计算 (previous_item_failed)。"
        " A replay in order (corrections): an item of the same year as the one before starts from that item's "
        "year_to_date_after, an item under the same illness-poverty grant from its illness_poverty_grant_after; "
        "after an item that could not be computed the rest are not computed (previous_item_failed).",
    )


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


@router.post(
    "", summary="计算一次结算的各项基金支付 (compute one settlement: every fund's share, with a trace)",
    response_model=CalculationResult,
    responses=problem_responses(
        Unprocessable("区划 370602 在 2015-03-20 无有效救助政策 (no policy in force)", code="no_policy"),
        Unprocessable("基本医保统筹测算标准的参数尚未经本地核实，不能据以结算"
                      " (its figures are placeholders: pass the amount or confirm them)", code="unverified_parameters"),
    ),
)
async def compute(_: Calculator, body: CalculationRequest, request: Request) -> Response:
    # Every settlement's call: the result is written as JSON straight from the chain's data (the
    # same writer as the batch's, equal to CalculationResult's JSON), not validated into the model first.
    book: PolicyBook = request.app.state.policy_book
    try:
        _, policy = book.select(body.region_code, body.discharged_on)
        calculation = calculate(policy, body, allow_unverified=request.app.state.allow_unverified)
    except (NoPolicy, NotComputable) as exc:
        raise Unprocessable(str(exc), code=exc.code) from exc
    return Response(JSON.encode(calculation), media_type="application/json")


@router.post(
    ":batch", summary="批量计算（重算用） (compute many settlements, e.g. for recalculation)",
    description="项数有上限（默认 10,000，超出为 422 batch_too_large）；"
    "每项单独校验与计算：格式错误的项（validation_failed，附字段）或不能计算的项给出原因，"
    "其余照常。 At most the configured number of items (10,000 by default; beyond it a 422 "
    "batch_too_large). Each item is validated and computed on its own: a malformed item (validation_failed, with its "
    "fields) or one that cannot be computed carries its problem, the others their result.",
    response_model=BatchResult, responses=problem_responses(422),
)
async def compute_batch(_: Calculator, body: BatchRequest, request: Request) -> Response:
    limit = request.app.state.settings.calculation_batch_max_items
    if len(body.items) > limit:
        raise Unprocessable(f"批量计算至多 {limit} 项 (a batch holds at most {limit} items)", code="batch_too_large")
    # Seconds of CPU for a big batch: off the event loop, so that health checks and other requests
    # are answered meanwhile; the JSON is written there too.
    state = request.app.state
    return Response(await run_in_threadpool(
        batch_json, state.policy_book, body.items, chained=body.chained, allow_unverified=state.allow_unverified,
    ), media_type="application/json")


def _continued(
    item: CalculationRequest, before: tuple[int, Calculation], grants: dict[date, IllnessPovertyGrant],
) -> CalculationRequest:
    """`item` starting where the items before it left its year (the one just before, if of the same
    year) and its illness-poverty grant (the last one under it): a chained batch."""
    update: dict[str, Any] = {}
    year, result = before
    if item.discharged_on.year == year:
        update["year_to_date"] = result.year_to_date_after
    grant = item.illness_poverty_grant
    if grant is not None and grant.window_from in grants:
        used = grants[grant.window_from]
        update["illness_poverty_grant"] = grant.model_copy(update={
            "assistance_base": used.assistance_base, "assistance_paid": used.assistance_paid})
    return item.model_copy(update=update)


def batch_json(book: PolicyBook, raw_items: list[dict[str, Any]], *, chained: bool, allow_unverified: bool) -> bytes:
    """The JSON of a `BatchResult` for these items (computed one by one; a batch of 10,000 is CPU-bound,
    so every step per item counts: see bench/calculation_bench.py).

    Each item is written as soon as it is computed, so that its objects are freed at once: kept for one
    write at the end, 10,000 items' objects made the garbage collector walk them over and over (a third
    of the batch's time)."""
    written: list[bytes] = []
    failed = 0
    before: tuple[int, Calculation] | None = None
    grants: dict[date, IllnessPovertyGrant] = {}
    policies: dict[tuple[str, date], Policy] = {}  # a batch is mostly a few regions over a year's dates
    for index, raw in enumerate(raw_items):
        problem: ItemProblem | None = None
        result: Calculation | None = None
        if chained and failed:
            problem = ItemProblem(code="previous_item_failed",
                                  detail="前一项不能计算，按序重放中止 (the item before failed: the replay stops)")
        else:
            try:
                item = CalculationRequest.model_validate(raw)
                if chained and before is not None:
                    item = _continued(item, before, grants)
                where_and_when = (item.region_code, item.discharged_on)
                policy = policies.get(where_and_when)
                if policy is None:
                    policy = policies[where_and_when] = book.select(*where_and_when)[1]
                result = calculate(policy, item, allow_unverified=allow_unverified)
                before = (item.discharged_on.year, result)
                if result.illness_poverty_grant_after is not None:
                    grants[result.illness_poverty_grant_after.window_from] = result.illness_poverty_grant_after
            except ValidationError as exc:
                problem = ItemProblem(code="validation_failed", errors=field_errors(exc),
                                      detail="该项校验未通过 (the item does not match the schema)")
            except (NoPolicy, NotComputable) as exc:
                problem = ItemProblem(code=exc.code, detail=str(exc))
        failed += problem is not None
        written.append(JSON.encode({"index": index, "result": result, "problem": problem}))
    items = msgspec.Raw(b"[" + b",".join(written) + b"]")
    return JSON.encode({"computed": len(written) - failed, "failed": failed, "items": items})
