from collections.abc import Iterable
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import ValidationError

from services.registry.dependencies import Reader
from services.registry.identities.service import ensure_not_by_application, ensure_owner
from services.registry.imports.parsing import rows_from_csv, rows_from_json
from services.registry.imports.plan import ListRow, ListSpec
from services.registry.imports.regions import RegionDirectory
from services.registry.imports.repository import ImportRepository
from services.registry.imports.schemas import ImportMode, ImportSummary, ListHeader, ListImport, RowOutcome
from services.registry.imports.service import ListToImport, outcome_out, run_import, stored_summary
from shared import clock
from shared.auth import Principal, Role, Scope, require
from shared.categories import OWNER, Category
from shared.csv_export import csv_download
from shared.db import repository
from shared.errors import Conflict, NotFound, Unprocessable, field_errors, problem_responses
from shared.tabular import UnreadableFile
from shared.types import BusinessDate

router = APIRouter(prefix="/v1/imports", tags=["imports 名单导入"])
_IN_PROGRESS = Conflict("该批次正在导入 (this batch is being imported)", code="import_in_progress")
_NO_BATCH = NotFound("无此批次 (no such batch)", code="batch_not_found")
Importer = Annotated[Principal, Depends(require(Role.AGENCY, Role.OPS, scope=Scope.PERSONS_WRITE))]
Imports = repository(ImportRepository)


async def _regions(request: Request) -> RegionDirectory:
    return request.app.state.region_directory


Regions = Annotated[RegionDirectory, Depends(_regions)]


def _agency(principal: Principal, category: Category) -> str:
    """The agency a batch belongs to: the agency's own token, or for ops the category's owner."""
    ensure_owner(principal, category)
    return principal.agency if principal.role is Role.AGENCY and principal.agency else OWNER[category].value


ROW_HEADER = ["行号", "身份证号", "姓名", "结果", "处理", "原因代码", "说明"]
OUTCOME_WORDS = {"accepted": "接受", "rejected": "拒绝"}
ACTION_WORDS = {"added": "新增", "merged": "合并", "unchanged": "无变化", "ended": "终止"}
CSV_RESPONSE = {200: {"content": {"application/json": {}, "text/csv": {}},
                      "description": "预览时 Accept: text/csv 下载全部差异 (a dry run with Accept: text/csv: "
                                     "every change as CSV)"}}


def _table(outcomes: Iterable[RowOutcome]) -> Iterable[list[object]]:
    """A row result as a clerk reads it: Chinese words, the name beside the masked number."""
    for item in outcomes:
        yield [item.row_no, item.id_number, item.name, OUTCOME_WORDS[item.outcome],
               ACTION_WORDS.get(item.action or "", item.action), item.reason_code, item.message]


def _wants_csv(request: Request) -> bool:
    return "text/csv" in request.headers.get("accept", "")


async def _import(
    request: Request, header: ListHeader, rows: list[ListRow], principal: Principal, imports: ImportRepository,
    regions: RegionDirectory,
) -> ImportSummary | Response:
    ensure_not_by_application(header.category)
    if header.mode == "full" and header.region_code is None:
        raise Unprocessable("完整名单须注明区划 (a full list needs region_code)", code="region_required")
    spec = ListSpec(category=header.category, mode=header.mode, list_date=header.list_date,
                    document_number=header.document_number, region_code=header.region_code)
    data = ListToImport(agency=_agency(principal, header.category), batch_id=header.batch_id, spec=spec,
                        rows=rows, dry_run=header.dry_run)
    imported = await run_import(imports, data, await regions.codes(), principal)
    if header.dry_run and _wants_csv(request) and not imported.summary.replayed:
        return csv_download(ROW_HEADER, _table(outcome_out(o, principal) for o in imported.changes),
                            f"import-dry-run-{clock.today():%Y%m%d}.csv")
    return imported.summary


@router.post(
    "", response_model=ImportSummary, summary="推送名单（JSON） (push a beneficiary list as JSON rows)",
    description="incremental：名单中的人新增身份（次月生效）；full：本月完整名单，名单外持有该类别者次月起终止。"
    " dry_run=true 只返回差异（最多1000条；带 Accept: text/csv 则下载全部差异）。同一 batch_id 重发不会重复导入。",
    responses={**CSV_RESPONSE, **problem_responses(
        _IN_PROGRESS,
        Unprocessable("该批次号已用于另一份名单 (this batch id was used for a different list)", code="batch_id_reused"),
        Unprocessable("完整名单须注明区划 (a full list needs region_code)", code="region_required"),
        503,
    )},
)
async def import_json(
    request: Request, body: ListImport, principal: Importer, imports: Imports, regions: Regions,
) -> ImportSummary | Response:
    rows = rows_from_json([dict(row) for row in body.rows])
    return await _import(request, body, rows, principal, imports, regions)


@router.post(
    "/csv", response_model=ImportSummary, summary="推送名单（CSV，中文表头，UTF-8 或 GB18030） (push a list as CSV)",
    description="表头：身份证号、姓名、区划代码、认定文号、认定日期（身份证号必填）。请求体为文件内容 (text/csv)。",
    responses={**CSV_RESPONSE, **problem_responses(
        _IN_PROGRESS, 413,
        Unprocessable("名单没有数据行 (the list has no rows)", code="empty_list"),
        503,
    )},
    openapi_extra={"requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def import_csv(
    request: Request, principal: Importer, imports: Imports, regions: Regions,
    batch_id: Annotated[str, Query(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f]+$")],
    category: Annotated[Category, Query()],
    list_date: Annotated[BusinessDate, Query()],
    document_number: Annotated[str, Query(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f]+$")],
    mode: Annotated[ImportMode, Query()] = "incremental",
    region_code: Annotated[str | None, Query(pattern=r"^[0-9]{6}$")] = None,
    dry_run: Annotated[bool, Query()] = False,
) -> ImportSummary | Response:
    content = await request.body()  # at most REGISTRY_MAX_CSV_BODY_BYTES (shared.edge)
    try:
        header = ListHeader(batch_id=batch_id, category=category, mode=mode, region_code=region_code,
                            list_date=list_date, document_number=document_number, dry_run=dry_run)
        rows = rows_from_csv(content)
    except UnreadableFile as exc:
        raise Unprocessable(str(exc), code="unreadable_list") from exc
    except ValidationError as exc:
        errors = field_errors(exc)
        raise Unprocessable(errors[0]["msg"], code="validation_failed", extra={"errors": errors}) from exc
    if not rows:
        raise Unprocessable("名单没有数据行 (the list has no rows)", code="empty_list")
    return await _import(request, header, rows, principal, imports, regions)


BatchPath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f]+$")]
AgencyQuery = Annotated[str | None, Query(pattern=r"^[a-z_]{1,32}$", description="ops 查询时注明推送机构")]


def _owner(principal: Principal, agency: str | None) -> str:
    if principal.role is Role.AGENCY:
        return principal.agency or ""
    if agency is None:
        raise Unprocessable("请注明 agency (ops: give the agency of the batch)", code="agency_required")
    return agency


@router.get("/{batch_id}", summary="批次结果 (a batch's result)", responses=problem_responses(_NO_BATCH))
async def read_batch(
    principal: Reader, batch_id: BatchPath, imports: Imports,
    agency: AgencyQuery = None,
) -> ImportSummary:
    stored = await imports.batch(_owner(principal, agency), batch_id)
    if stored is None:
        raise NotFound("无此批次 (no such batch)", code="batch_not_found")
    return await stored_summary(imports, stored, principal, replayed=False)


@router.get("/{batch_id}/rows", summary="逐行结果 (the result of each row)", responses=problem_responses(_NO_BATCH))
async def batch_rows(
    principal: Reader, batch_id: BatchPath, imports: Imports,
    agency: AgencyQuery = None,
    outcome: Annotated[str | None, Query(pattern=r"^(accepted|rejected)$")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[RowOutcome]:
    owner = _owner(principal, agency)
    if await imports.batch(owner, batch_id) is None:
        raise NotFound("无此批次 (no such batch)", code="batch_not_found")
    rows = await imports.rows(owner, batch_id, outcome=outcome, limit=limit, offset=offset)
    return [outcome_out(row, principal) for row in rows]


@router.get(
    "/{batch_id}/rows.csv", summary="下载逐行结果（CSV，UTF-8 带 BOM，Excel 可直接打开） (download the row results)",
    responses={200: {"content": {"text/csv": {}}}, **problem_responses(_NO_BATCH)},
)
async def batch_rows_csv(
    principal: Reader, batch_id: BatchPath, imports: Imports,
    agency: AgencyQuery = None,
    outcome: Annotated[str | None, Query(pattern=r"^(accepted|rejected)$")] = None,
) -> Response:
    owner = _owner(principal, agency)
    if await imports.batch(owner, batch_id) is None:
        raise NotFound("无此批次 (no such batch)", code="batch_not_found")
    results: list[RowOutcome] = []
    while rows := await imports.rows(owner, batch_id, outcome=outcome, limit=10_000, offset=len(results)):
        results.extend(outcome_out(row, principal) for row in rows)
    return csv_download(ROW_HEADER, _table(results), f"import-{clock.today():%Y%m%d}.csv")
