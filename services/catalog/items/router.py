from collections.abc import Iterable
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from services.catalog.dependencies import Reader
from services.catalog.items.parsing import rows_from_file
from services.catalog.items.repository import ItemRepository
from services.catalog.items.rules import classify
from services.catalog.items.schemas import ItemImportSummary, ItemOut, RowOutcome
from services.catalog.items.service import CatalogFile, outcome_out, run_import, stored_summary
from shared import clock
from shared.auth import Principal, Role, Scope, require
from shared.contracts.items import LINE_PROBLEM_EXAMPLES, Classification, ClassifyRequest, check_fee_lines
from shared.csv_export import csv_download
from shared.db import repository
from shared.errors import NotFound, Unprocessable, problem_responses
from shared.tabular import UnreadableFile
from shared.types import plain_text

router = APIRouter(prefix="/v1/items", tags=["items 医保目录"])
Items = repository(ItemRepository)
Operator = Annotated[Principal, Depends(require(Role.OPS))]
Classifier = Annotated[Principal, Depends(require(Role.SERVICE, Role.OPS, scope=Scope.CATALOG_READ))]
BatchPath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_NO_BATCH = NotFound("无此批次 (no such batch)", code="batch_not_found")
_REUSED = Unprocessable("该批次号已用于另一份目录文件 (this batch id was used for a different file)",
                        code="batch_id_reused")
_EMPTY = Unprocessable("目录文件没有数据行 (the file has no rows)", code="empty_file")
_UNREADABLE = Unprocessable("缺少“医保目录编码”列 (no 医保目录编码 column)", code="unreadable_file")
ROW_HEADER = ["行号", "医保目录编码", "结果", "处理", "原因代码", "说明"]
OUTCOME_WORDS = {"accepted": "接受", "rejected": "拒绝"}
ACTION_WORDS = {"added": "新增", "changed": "变更", "unchanged": "无变化", "ended": "终止"}


def _table(outcomes: Iterable[RowOutcome]) -> Iterable[list[object]]:
    for item in outcomes:
        yield [item.row_no, item.code, OUTCOME_WORDS[item.outcome], ACTION_WORDS.get(item.action or "", item.action),
               item.reason_code, item.message]


@router.post(
    "/imports", response_model=ItemImportSummary,
    summary="导入医保目录（CSV 或 Excel） (import the item catalog as the insurance bureau publishes it)",
    description="表头：医保目录编码、名称、类型、目录类别、自付比例、限价、开始日期、结束日期"
    "（UTF-8 或 GB18030 的 CSV，或 .xlsx 第一张表）。"
    "dry_run=true 只返回差异（最多1000条；带 Accept: text/csv 则下载全部差异）。"
    "同一 batch_id 重发不改变任何数据；同号不同内容 422。",
    responses={200: {"content": {"application/json": {}, "text/csv": {}}}, **problem_responses(
        _REUSED, _EMPTY, _UNREADABLE, 413)},
    openapi_extra={"requestBody": {"required": True, "content": {
        "text/csv": {"schema": {"type": "string"}},
        XLSX: {"schema": {"type": "string", "format": "binary"}},
    }}},
)
async def import_items(
    request: Request, principal: Operator, items: Items,
    batch_id: Annotated[str, Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")],
    dry_run: Annotated[bool, Query()] = False,
) -> ItemImportSummary | Response:
    content = await request.body()  # at most CATALOG_MAX_CSV_BODY_BYTES (shared.edge)
    excel = request.headers.get("content-type", "").startswith(XLSX)
    try:
        # Seconds of CPU for a whole catalog: off the event loop, so that classifications and look-ups
        # are answered meanwhile (so is the plan, in run_import).
        rows = await run_in_threadpool(rows_from_file, content, excel=excel)
    except UnreadableFile as exc:
        raise Unprocessable(str(exc), code="unreadable_file") from exc
    if not rows:
        raise Unprocessable("目录文件没有数据行 (the file has no rows)", code="empty_file")
    imported = await run_import(items, CatalogFile(batch_id, rows, dry_run), principal)
    if dry_run and "text/csv" in request.headers.get("accept", "") and not imported.summary.replayed:
        return csv_download(ROW_HEADER, _table(outcome_out(o) for o in imported.changes),
                            f"items-dry-run-{clock.today():%Y%m%d}.csv")
    return imported.summary


@router.get("/imports/{batch_id}", summary="目录导入批次结果 (a catalog import's result)",
            responses=problem_responses(_NO_BATCH))
async def read_import(_: Operator, batch_id: BatchPath, items: Items) -> ItemImportSummary:
    stored = await items.batch(batch_id)
    if stored is None:
        raise NotFound("无此批次 (no such batch)", code="batch_not_found")
    return await stored_summary(items, stored, replayed=False)


@router.get(
    "/imports/{batch_id}/rows.csv", summary="下载逐行结果（CSV） (download the result of each row)",
    responses={200: {"content": {"text/csv": {}}}, **problem_responses(_NO_BATCH)},
)
async def import_rows_csv(
    _: Operator, batch_id: BatchPath, items: Items,
    outcome: Annotated[str | None, Query(pattern=r"^(accepted|rejected)$")] = None,
) -> Response:
    if await items.batch(batch_id) is None:
        raise NotFound("无此批次 (no such batch)", code="batch_not_found")
    results: list[RowOutcome] = []
    while rows := await items.rows(batch_id, outcome=outcome, limit=10_000, offset=len(results)):
        results.extend(outcome_out(row) for row in rows)
    return csv_download(ROW_HEADER, _table(results), f"items-import-{clock.today():%Y%m%d}.csv")


@router.get("", summary="医保目录条目（含各版本） (catalog entries, every version)")
async def list_items(
    _: Reader, items: Items,
    code: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9._-]{1,50}$")] = None,
    name: Annotated[plain_text(64) | None, Query(description="名称包含 (name contains)")] = None,  # type: ignore[valid-type]
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[ItemOut]:
    rows = await items.search(code=code, name=name, limit=limit, offset=offset)
    return [ItemOut.model_validate(row, from_attributes=True) for row in rows]


@router.post(
    ":classify", summary="费用明细分类：全自费、超限价、先行自付 (split fee lines by the catalog)",
    description="按明细发生日（默认 service_date）有效的目录条目分类；未知编码 422 unknown_item_code（注明行）。",
    responses=problem_responses(*LINE_PROBLEM_EXAMPLES),
)
async def classify_lines(_: Classifier, body: ClassifyRequest, items: Items) -> Classification:
    check_fee_lines(body.lines)
    return classify(body.lines, await items.versions([line.item_code for line in body.lines]), body.service_date)
