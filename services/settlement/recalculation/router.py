from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from services.settlement.documents.excel import MEDIA_TYPE as XLSX
from services.settlement.documents.excel import write_xlsx
from services.settlement.documents.pdf import download
from services.settlement.monitoring.rules import PERIOD_PROBLEMS
from services.settlement.recalculation.document import csv_of, document_of
from services.settlement.recalculation.rules import csv_rows, read_rows
from services.settlement.recalculation.schemas import Batch, Decision, JsonUpload, RangeRequest
from services.settlement.recalculation.service import (
    RecalculationService,
    batch_finished,
    batch_not_calculated,
    batch_not_decidable,
    batch_not_found,
    no_valid_rows,
    range_batch_running,
)
from shared.auth import Principal, Role, require
from shared.csv_export import csv_download
from shared.errors import Unprocessable, problem_responses
from shared.tabular import UnreadableFile

router = APIRouter(prefix="/v1/recalculations", tags=["recalculations 上线补算"])
Ops = Annotated[Principal, Depends(require(Role.OPS))]
CivilAffairs = Annotated[Principal, Depends(require(Role.AGENCY))]
Reader = Annotated[Principal, Depends(require(Role.AGENCY, Role.OPS))]
BatchId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="批次编号")]
Note = Annotated[str, Query(max_length=200, description="批次说明 (what the batch is for)")]
_WHAT = ("运维上传上线前（或政策调整所涉）的基本医保结算，平台按出院日的救助身份、逐人逐年按出院顺序"
         "（年度限额在本批次该人该年的各行间累计，自零起算）计算每笔应享受的医疗救助与再救助，作为一个待民政审核的批次；后台分块计算，可查进度，中断后可续算。"
         "坏行随批次报告行号与原因。批次不改动台账与结算。"
         " Ops upload historic basic-insurance settlements; the platform "
         "computes the assistance each should have had (eligibility as of each discharge, each person-year replayed in "
         "discharge order from zero) as one batch for civil affairs to review, in the background, in chunks, "
         "resumable. Bad rows are reported with their line and reason. The ledger is never written.")
_COLUMNS = ("表头（中文或英文字段名）：身份证号 id_number、医疗机构编码 hospital_code、入院日期 admitted_on、出院日期 "
            "discharged_on、医疗类别 medical_type（inpatient/outpatient_chronic/outpatient）、"
            "险种 insurance_type（可省略）、"
            "医疗费用总额 total、全自费 full_self_pay、超限价自费 over_limit_self_pay、先行自付 pre_self_pay、"
            "基本医保统筹已付 basic_insurance_paid、大病保险已付 critical_illness_paid。")


def unreadable_file(detail: str = "文件既不是 UTF-8 也不是 GB18030 编码 (neither UTF-8 nor GB18030)") -> Unprocessable:
    return Unprocessable(detail, code="unreadable_file")


def _service(request: Request) -> RecalculationService:
    return request.app.state.recalculations


Service = Annotated[RecalculationService, Depends(_service)]


@router.post("", status_code=202, summary="上传历史结算（JSON）并开始补算 (upload historic settlements as JSON)",
             description=_WHAT, responses=problem_responses(no_valid_rows()))
async def upload_json(principal: Ops, body: JsonUpload, service: Service) -> Batch:
    good, rejected = read_rows(enumerate(body.items, start=1))
    return await service.upload(good, rejected, "json", body.note, principal)


@router.post(
    "/csv", status_code=202,
    summary="上传历史结算（CSV，UTF-8 或 GB18030）并开始补算 (upload historic settlements as CSV)",
    description=f"{_WHAT} {_COLUMNS} 请求体为文件内容 (text/csv)。",
    responses=problem_responses(no_valid_rows(), unreadable_file(), 413),
    openapi_extra={"requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def upload_csv(principal: Ops, request: Request, service: Service, note: Note = "") -> Batch:
    content = await request.body()  # at most SETTLEMENT_MAX_CSV_BODY_BYTES (shared.edge)
    try:
        records = csv_rows(content)
    except UnreadableFile as exc:
        raise unreadable_file(str(exc)) from exc
    good, rejected = read_rows(records, cells=True)
    return await service.upload(good, rejected, "csv", note, principal)


_RANGE = ("运维按出院日期范围（可限政策区划、医疗机构）重算平台内已结算的结算单：政策文件调整"
          "（新政策年度或更正数字）后，逐人逐年自范围内首笔起按出院顺序、以现行政策与当前身份重算"
          "（与更正建议同一重算：assistance 批量计算，链式），同年其后各笔随余额一并重算；"
          "每笔各项基金与个人自付与原付之差到分。后台分块计算，可查进度，中断后可续算，可下载 Excel。"
          "批次不改动结算与台账；民政批准后，有差额的人年各转为一条更正建议，由民政逐条审核。"
          "范围内无结算则为空批次（已计算）。"
          " Ops name a discharge date range (optionally a policy region and a hospital); every settled settlement "
          "in it is replayed with its person-year in discharge order under the policies now, as a correction "
          "replays it, and set against what it paid, each fund to the fen. Approval turns each person-year that "
          "moves into a correction proposal. At most 366 days; a running batch over an overlapping range is a 409.")


@router.post(
    "/ranges", status_code=202, summary="按出院日期范围重算平台内结算 (recalculate the settlements of a date range)",
    description=_RANGE,
    responses=problem_responses(*PERIOD_PROBLEMS[1:], range_batch_running()),
)
async def create_range(principal: Ops, body: RangeRequest, service: Service) -> Batch:
    return await service.create_range(body, principal)


@router.get("/{batch_id}", summary="批次状态与进度 (a batch: its state and progress)",
            responses=problem_responses(batch_not_found()))
async def get_batch(_: Reader, batch_id: BatchId, service: Service) -> Batch:
    return await service.get(batch_id)


@router.post(
    "/{batch_id}:resume", status_code=202, summary="续算中断的批次 (resume a batch from its last committed chunk)",
    description="进程中断后从最后提交的块继续；已提交的块不再计算。 Continues from the last committed chunk.",
    responses=problem_responses(batch_not_found(), batch_finished()),
)
async def resume(principal: Ops, batch_id: BatchId, service: Service) -> Batch:
    return await service.resume(batch_id, principal)


@router.post(
    "/{batch_id}:approve", summary="民政部门批准补算名单 (civil affairs approves the batch, to pay it)",
    description="上传批次：批准支付名单。范围批次：有差额的每个人年各生成一条更正建议"
    "（经变更事件 settlement.recalculated，由后台按当时情况重算），再由民政逐条审核。"
    " An uploaded batch: the list is approved to pay. A range batch: each person-year"
    " that moves becomes a correction proposal (via a settlement.recalculated event), decided one by one.",
    responses=problem_responses(batch_not_found(), batch_not_decidable()),
)
async def approve(principal: CivilAffairs, batch_id: BatchId, body: Decision, service: Service) -> Batch:
    return await service.decide(batch_id, True, body, principal)


@router.post(
    "/{batch_id}:reject", summary="民政部门驳回补算名单 (civil affairs rejects the batch)",
    responses=problem_responses(batch_not_found(), batch_not_decidable()),
)
async def reject(principal: CivilAffairs, batch_id: BatchId, body: Decision, service: Service) -> Batch:
    return await service.decide(batch_id, False, body, principal)


@router.get(
    "/{batch_id}/results.xlsx", response_class=Response,
    responses={200: {"description": "逐笔补算结果 Excel：合计为 Excel 公式 (sums are formulas)",
                     "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}},
               **problem_responses(batch_not_found(), batch_not_calculated())},
    summary="下载补算结果（Excel） (the results as Excel)",
)
async def results_xlsx(principal: Reader, batch_id: BatchId, service: Service) -> Response:
    batch, items, refused = await service.finished(batch_id)
    content = await run_in_threadpool(write_xlsx, document_of(batch, items, refused, principal))
    return download(content, XLSX, f"recalculation-{batch_id}.xlsx")


@router.get(
    "/{batch_id}/results.csv", summary="下载补算结果（CSV） (the results as CSV)",
    responses={200: {"content": {"text/csv": {}}}, **problem_responses(batch_not_found(), batch_not_calculated())},
)
async def results_csv(principal: Reader, batch_id: BatchId, service: Service) -> Response:
    batch, items, _ = await service.finished(batch_id)
    header, lines = csv_of(batch, items, principal)
    return csv_download(header, lines, f"recalculation-{batch_id}.csv")
