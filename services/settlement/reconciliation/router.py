from collections.abc import Iterable
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from services.settlement.monitoring.rules import PERIOD_PROBLEMS
from services.settlement.reconciliation.rules import (
    AMOUNTS,
    KIND_LABELS,
    LABELS,
    UPLOAD_PROBLEMS,
    BookLine,
    Difference,
    book_lines,
    csv_book_lines,
)
from services.settlement.reconciliation.schemas import (
    DetailRequest,
    DetailResult,
    Range,
    Runs,
    TotalsRequest,
    TotalsResult,
)
from services.settlement.reconciliation.service import (
    ReconciliationService,
    agency_not_allowed,
    range_reversed,
    run_not_found,
)
from shared.auth import Principal, Role, require
from shared.csv_export import csv_download
from shared.errors import Forbidden, problem_responses
from shared.types import BusinessDate, HospitalCode

router = APIRouter(prefix="/v1/reconciliations", tags=["reconciliation 对账"])
Reconciler = Annotated[Principal, Depends(require(Role.HIS, Role.AGENCY, Role.OPS))]
RunId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
_HOSPITAL_MISMATCH = Forbidden("令牌所属医院与结算医院不一致 (the token belongs to another hospital)",
                               code="hospital_mismatch")
_JSON_UPLOAD_CODES = ("duplicate_serial", "empty_upload")  # the schema checks each line's fields
_REFUSALS = (_HOSPITAL_MISMATCH, agency_not_allowed(), *PERIOD_PROBLEMS[1:])
CSV_ANSWER = {200: {"content": {"application/json": {}, "text/csv": {}},
                    "description": "带 Accept: text/csv 则下载全部差异 (with Accept: text/csv: every difference)"}}
DIFFERENCE_HEADER = ["流水号", "差异", "差异代码", "金额项", "我方", "医院", "差额"]
_ROLES = "医院HIS只能对本院；民政部门与运维可对任一医院。 A HIS reconciles its own hospital; civil affairs and ops any."
_DAYS = "按结算日期（北京时间）计，起止日期均含。 By settlement day (Asia/Shanghai), both days included."


def _service(request: Request) -> ReconciliationService:
    return request.app.state.reconciliation


Service = Annotated[ReconciliationService, Depends(_service)]


def _table(differences: Iterable[Difference]) -> Iterable[list[object]]:
    for d in differences:
        yield [d.his_serial, KIND_LABELS[d.kind], d.kind.value, LABELS.get(d.item or "", ""), d.ours, d.theirs,
               d.difference]


def _answer(request: Request, result: DetailResult, differences: list[Difference]) -> DetailResult | Response:
    if "text/csv" in request.headers.get("accept", ""):
        return _download(result.id, differences)
    return result


def _download(run_id: str, differences: list[Difference]) -> Response:
    return csv_download(DIFFERENCE_HEADER, _table(differences), f"reconciliation-{run_id}.csv")


@router.post(
    "/totals", summary="对总账（如 3201）：医院上传期间合计 (reconcile totals, like 3201)",
    description="医院上传结算日期区间内的结算笔数、医疗费总额、基金支付总额与各基金合计（不含已撤销的结算），"
    f"逐项返回我方、医院与差额，并记录本次对账。{_ROLES}{_DAYS}"
    " The hospital's count, total, fund total and each fund's sum of its settlements in force; answered line by"
    " line (ours, theirs, difference) and recorded.",
    responses=problem_responses(*_REFUSALS),
)
async def totals(principal: Reconciler, body: TotalsRequest, service: Service) -> TotalsResult:
    return await service.totals(body, principal)


@router.post(
    "/detail", response_model=DetailResult,
    summary="对明细账（如 3202，JSON）：医院上传逐笔明细 (reconcile the detail, like 3202)",
    description="医院上传区间内每笔结算（流水号、金额、各基金、是否撤销），返回差异：我方已结算医院无、医院有我方无、"
    f"金额不符（逐项）、仅一方撤销。较大的明细请用 /detail/csv。{_ROLES}{_DAYS}"
    " Every settlement of the range as the hospital has it; the answer is the difference. Large lists go as CSV.",
    responses={**CSV_ANSWER, **problem_responses(
        *_REFUSALS, *(p for p in UPLOAD_PROBLEMS if p.code in _JSON_UPLOAD_CODES), 413)},
)
async def detail(
    request: Request, principal: Reconciler, body: DetailRequest, service: Service,
) -> DetailResult | Response:
    def lines() -> list[BookLine]:
        return book_lines((n, {k: str(v) for k, v in line.model_dump().items()})
                          for n, line in enumerate(body.lines, start=1))

    return _answer(request, *await service.detail(body, lines, principal))


@router.post(
    "/detail/csv", response_model=DetailResult,
    summary="对明细账（CSV，UTF-8 或 GB18030） (reconcile the detail, uploaded as CSV)",
    description=f"表头（英文字段名）：his_serial、{'、'.join(AMOUNTS)}、cancelled（0/1，可省略）。"
    f"请求体为文件内容 (text/csv)；10 万行约 7 MB，上限见 SETTLEMENT_MAX_CSV_BODY_BYTES（默认 32 MiB）。"
    f"{_ROLES}{_DAYS} The body is the file; the header names the fields in English.",
    responses={**CSV_ANSWER, **problem_responses(*_REFUSALS, *UPLOAD_PROBLEMS, 413)},
    openapi_extra={"requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def detail_csv(
    request: Request, principal: Reconciler, service: Service,
    hospital_code: Annotated[HospitalCode, Query(description="定点医疗机构编码 (the hospital)")],
    from_date: Annotated[BusinessDate, Query(description="首个结算日 (first settlement day)")],
    to_date: Annotated[BusinessDate, Query(description="末个结算日，含 (last settlement day)")],
) -> DetailResult | Response:
    scope = Range(hospital_code=hospital_code, from_date=from_date, to_date=to_date)
    content = await request.body()  # at most SETTLEMENT_MAX_CSV_BODY_BYTES (shared.edge)
    return _answer(request, *await service.detail(scope, lambda: csv_book_lines(content), principal))


@router.get(
    "", summary="对账记录列表 (reconciliation runs by hospital and settlement days)",
    description="按医院与结算日期区间列出对账记录（与区间有交集者），新者在前，至多 500 条。医院令牌只列本院"
    "（不填即本院，填他院 403）。 The runs whose settlement days overlap the range, newest first, 500 at most. A HIS"
    " token lists its own hospital's (by default; another's is refused).",
    responses=problem_responses(_HOSPITAL_MISMATCH, agency_not_allowed(), range_reversed()),
)
async def runs(
    principal: Reconciler, service: Service,
    hospital_code: Annotated[HospitalCode | None, Query(description="定点医疗机构编码 (the hospital)")] = None,
    from_date: Annotated[BusinessDate | None, Query(description="结算日不早于 (settlement days from)")] = None,
    to_date: Annotated[BusinessDate | None, Query(description="结算日不晚于 (settlement days to, included)")] = None,
) -> Runs:
    return await service.runs(principal, hospital_code=hospital_code, from_date=from_date, to_date=to_date)


@router.get("/{run_id}", summary="查询一次对账 (a reconciliation run)", responses=problem_responses(run_not_found()))
async def get_run(principal: Reconciler, run_id: RunId, service: Service) -> TotalsResult | DetailResult:
    return await service.run(run_id, principal)


@router.get(
    "/{run_id}/differences.csv", summary="下载对明细账的全部差异（CSV） (download every difference of a detail run)",
    responses={200: {"content": {"text/csv": {}}}, **problem_responses(run_not_found())},
)
async def differences_csv(principal: Reconciler, run_id: RunId, service: Service) -> Response:
    return _download(run_id, await service.differences(run_id, principal))
