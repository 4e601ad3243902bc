from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from services.settlement.claims.document import PRINTED_LINES, claim_printout, claim_workbook
from services.settlement.claims.rules import Status
from services.settlement.claims.schemas import ClaimLines, ClaimPeriod, ClaimPeriods, Closing, PeriodOpening, Review
from services.settlement.claims.schemas import Payment as PaymentBody
from services.settlement.claims.service import (
    ClaimService,
    already_approved,
    already_closed,
    already_paid,
    already_reviewed,
    amount_mismatch,
    earlier_open,
    line_not_in_claim,
    no_claim_yet,
    no_period_rule,
    not_approved,
    not_civil_affairs,
    not_closed,
    not_over,
    not_reconciled,
    not_reviewed,
    override_needs_ops,
    paid_on_out_of_range,
    payee_not_allowed,
    period_in_future,
    period_not_found,
    settling,
)
from services.settlement.documents.excel import MEDIA_TYPE as XLSX
from services.settlement.documents.excel import write_xlsx
from services.settlement.documents.pdf import download, render_table_document
from shared.auth import Principal, Role, require
from shared.errors import NotFound, problem_responses
from shared.types import HospitalCode

router = APIRouter(prefix="/v1/claim-periods", tags=["claims 定点医疗机构费用申报与拨付"])
Hospital = Annotated[Principal, Depends(require(Role.HIS, Role.OPS))]
Reviewer = Annotated[Principal, Depends(require(Role.AGENCY, Role.OPS))]
Reader = Annotated[Principal, Depends(require(Role.HIS, Role.AGENCY, Role.OPS))]
PeriodId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]


def _service(request: Request) -> ClaimService:
    return request.app.state.claims


Service = Annotated[ClaimService, Depends(_service)]


@router.post(
    "", status_code=201,
    responses={200: {"model": ClaimPeriod, "description": "已开立 (already open: the same period)"}}
    | problem_responses(no_period_rule(), period_in_future(),
                        NotFound("未找到该记录 (not found)", code="hospital_not_found")),
    summary="开立结算期间 (open the claim period containing a day)",
    description="期间长短按医院所在统筹区的申报规定（数据，按生效日期）：烟台按月，台儿庄按季度。"
    "已开立则返回原期间（200）。医院只能开立本院的期间。 The period's bounds follow the rule of the hospital's region"
    " in force that day (data with effective dates): a month in Yantai, a quarter in Tai'erzhuang. Opened once;"
    " asked again, the same period is returned with 200. A HIS opens its own hospital's periods only.",
)
async def open_period(principal: Hospital, body: PeriodOpening, service: Service, response: Response) -> ClaimPeriod:
    period, opened = await service.open(body, principal)
    if not opened:
        response.status_code = 200
    return period


@router.get("", summary="结算期间与申报列表 (claim periods; past_due=true: unpaid past their deadline)",
            description="医院令牌只列出本院的期间。 A HIS token lists its own hospital's periods only.")
async def listing(
    principal: Reader, service: Service,
    hospital_code: Annotated[HospitalCode | None, Query(description="定点医疗机构编码")] = None,
    status: Annotated[Status | None, Query(description="期间状态")] = None,
    past_due: Annotated[bool, Query(description="仅列出超过拨付期限未拨付的 (only those unpaid past their due date)")]
    = False,
) -> ClaimPeriods:
    return ClaimPeriods(items=await service.listing(principal, hospital_code=hospital_code, status=status,
                                                    past_due=past_due))


@router.get("/{period_id}", responses=problem_responses(period_not_found()),
            summary="查询结算期间及其申报 (a claim period and its frozen claim)")
async def get(principal: Reader, period_id: PeriodId, service: Service) -> ClaimPeriod:
    return await service.get(period_id, principal)


@router.get("/{period_id}/lines", responses=problem_responses(period_not_found()),
            summary="申报明细：结算与冲减 (the claim's settlements and adjustments)",
            description="冲减（adjustment）为关账后撤销的以前期间结算，金额为负。 An adjustment is an earlier claim's"
            " settlement cancelled since: its amounts are negative.")
async def lines(
    principal: Reader, period_id: PeriodId, service: Service,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0, limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
) -> ClaimLines:
    return ClaimLines(items=await service.lines(period_id, principal, limit=limit, offset=offset),
                      offset=offset, limit=limit)


@router.get(
    "/{period_id}/claim.xlsx", response_class=Response,
    responses={200: {"description": "申报表 Excel：中文表头；首页为汇总、拒付、材料清单与签章栏，"
                     "“申报明细”页逐笔列出结算与冲减；合计与金额均为 Excel 公式 (the claim as .xlsx: the "
                     "summary first, every line on a sheet of its own; sums are formulas)",
                     "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}},
               **problem_responses(period_not_found(), no_claim_yet())},
    summary="下载申报表（Excel） (the frozen claim as Excel)",
    description="医院令牌只能下载本院的申报。 A HIS downloads its own hospital's claims only.",
)
async def claim_xlsx(principal: Reader, period_id: PeriodId, service: Service) -> Response:
    contents = await service.contents(period_id, principal, printout=False)
    content = await run_in_threadpool(write_xlsx, claim_workbook(contents))
    return download(content, XLSX, f"claim-{contents.claim.hospital_code}-{contents.claim.starts_on}.xlsx")


@router.get(
    "/{period_id}/claim.pdf", response_class=Response,
    responses={200: {"description": "申报表 PDF，A4 横向，内嵌字体，供签字盖章 (printable, A4 landscape, font "
                     "embedded, to sign and seal)",
                     "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
               **problem_responses(period_not_found(), no_claim_yet())},
    summary="打印申报表（PDF） (the frozen claim, printable)",
    description=f"汇总、申报与审批金额、冲减明细（至多 {PRINTED_LINES} 笔）、审核拒付明细、报送材料清单与签字盖章栏；"
    "不逐笔列出结算，全部明细见 Excel。 The summary, amounts, adjustments (the first"
    f" {PRINTED_LINES}), rejected lines, checklist and signature boxes; the settlements one by one are in the"
    " Excel download only.",
)
async def claim_pdf(principal: Reader, period_id: PeriodId, service: Service) -> Response:
    contents = await service.contents(period_id, principal, printout=True)
    content = await run_in_threadpool(render_table_document, claim_printout(contents))
    return download(content, "application/pdf", f"claim-{contents.claim.hospital_code}-{contents.claim.starts_on}.pdf")


@router.post(
    "/{period_id}/close",
    responses=problem_responses(period_not_found(), already_closed(), not_over(), earlier_open(), settling(),
                                not_reconciled(), override_needs_ops()),
    summary="关账并生成申报 (close the period: its claim is frozen)",
    description="冻结申报：笔数、医疗费用总额、各基金支付合计及结算与冲减明细，此后不可更改。关账后撤销的结算计入下一个"
    "关账的期间作为负数冲减。须期间最近一次对账平账，运维可注明理由越过。"
    " Freezes the claim (like NHSA 3203): counts, total cost, each fund's sum and its"
    " settlements and adjustments; never changed after. A cancellation after a close is deducted in the next"
    " period to close. Only when the latest reconciliation of exactly the period's days matched, unless ops"
    " closes with override_reason.",
)
async def close(principal: Hospital, period_id: PeriodId, body: Closing, service: Service) -> ClaimPeriod:
    return await service.close(period_id, body, principal)


@router.post(
    "/{period_id}/review",
    responses=problem_responses(period_not_found(), not_closed(), already_reviewed(), line_not_in_claim(),
                                not_civil_affairs()),
    summary="民政审核申报 (civil affairs reviews the claim)",
    description="逐笔拒付须注明理由，退回医院；拒付金额不予拨付。 Each rejected line goes back to the hospital with its"
    " reason and is not paid.",
)
async def review(principal: Reviewer, period_id: PeriodId, body: Review, service: Service) -> ClaimPeriod:
    return await service.review(period_id, body, principal)


@router.post(
    "/{period_id}/approval",
    responses=problem_responses(period_not_found(), not_reviewed(), already_approved(), not_civil_affairs()),
    summary="审批申报 (approve: the amount is the claim's less its rejected lines)",
)
async def approve(principal: Reviewer, period_id: PeriodId, service: Service) -> ClaimPeriod:
    return await service.approve(period_id, principal)


@router.post(
    "/{period_id}/payment",
    responses=problem_responses(period_not_found(), not_approved(), already_paid(), amount_mismatch(),
                                payee_not_allowed(), paid_on_out_of_range(), not_civil_affairs()),
    summary="登记拨付 (record the payment: amount, date, reference)",
)
async def pay(principal: Reviewer, period_id: PeriodId, body: PaymentBody, service: Service) -> ClaimPeriod:
    return await service.pay(period_id, body, principal)
