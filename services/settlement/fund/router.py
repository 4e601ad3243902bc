from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response
from starlette.concurrency import run_in_threadpool

from services.settlement.documents.excel import MEDIA_TYPE as XLSX
from services.settlement.documents.excel import write_xlsx
from services.settlement.documents.pdf import download, render_table_document
from services.settlement.fund.document import clearing_document
from services.settlement.fund.rules import month_in_future, month_not_valid
from services.settlement.fund.schemas import Balances, ClearingStatement, PreFunding, PreFundingRequest, PreFundings
from services.settlement.fund.service import (
    FundService,
    account_not_found,
    duplicate_reference,
    funded_in_future,
    region_unknown,
)
from shared.auth import Principal, Role, require
from shared.errors import problem_responses
from shared.http_client import PeerUnavailable

router = APIRouter(prefix="/v1/fund", tags=["fund 资金往来与清算"])
# Civil affairs records and reads; ops administers; a HIS has no business here (403).
Staff = Annotated[Principal, Depends(require(Role.AGENCY, Role.OPS))]
Account = Annotated[str, Path(pattern=r"^[0-9]{6}$", examples=["370602"],
                              description="账户：本市代码（全市）或区县市代码 (the city, or one of its districts)")]
Month = Annotated[str, Path(examples=["2023-03"], description="清算月份 YYYY-MM (the month)")]
_STATEMENT_PROBLEMS = (account_not_found(), month_not_valid(), month_in_future(), PeerUnavailable("catalog", "timeout"))


def _service(request: Request) -> FundService:
    return request.app.state.fund


Service = Annotated[FundService, Depends(_service)]


@router.post(
    "/pre-fundings", status_code=201,
    responses=problem_responses(region_unknown(), funded_in_future(), duplicate_reference()),
    summary="录入预拨资金 (record a pre-funding)",
    description="市民政部门定期将所需救（补）助费用预拨到市社会保险服务中心（烟台2018通知 二、2）：记入某区县市账户，"
    "或记入全市账户（本市代码）。金额须大于0，到账日期不晚于今天，凭证号唯一；录入人与时间随记录保存，记录不可修改。"
    " Civil affairs pre-funds the city centre: booked to a district's account or city-wide (the city's code). The"
    " amount is above 0, the day not after today, the reference unique; who and when are kept; never edited.",
)
async def record(principal: Staff, body: PreFundingRequest, service: Service) -> PreFunding:
    return await service.record(body, principal)


@router.get(
    "/accounts/{account}/pre-fundings", responses=problem_responses(account_not_found()),
    summary="预拨记录 (the pre-fundings an account holds; the city's: all)",
)
async def listing(_: Staff, account: Account, service: Service) -> PreFundings:
    return await service.listing(account)


@router.get(
    "/balances", summary="各账户当前余额与预警 (every account's balance now, with its warning)",
    description="余额 = 已到账预拨 − 已结算的医疗救助与再救助 + 撤销退回；可支付天数按近 N 日日均支出计，"
    "低于阈值为 low，为负为 negative（只预警，结算照常）。 Balance = pre-funded − drawn + given back; days of cover"
    " at the recent daily draw; below the threshold low, below zero negative (a warning only: settlements go on).",
)
async def balances(_: Staff, service: Service) -> Balances:
    return await service.balances()


@router.get(
    "/accounts/{account}/statements/{month}", responses=problem_responses(*_STATEMENT_PROBLEMS),
    summary="月度清算表 (the monthly clearing statement of an account)",
    description="期初余额、本月预拨、本月支出（医疗救助、再救助，按结算时间北京时间计月）、本月调整（撤销结算退回）、期末余额，"
    "按医疗机构汇总及预警。全市账户汇总各区县。当月为截至生成时。 Opening balance, pre-funded, drawn (by settlement"
    " time, Beijing), adjustments (cancellations give back), closing balance, per hospital, and the warning. The"
    " city's account sums its districts. The current month runs to date.",
)
async def statement(_: Staff, account: Account, month: Month, service: Service) -> ClearingStatement:
    return await service.statement(account, month)


@router.get(
    "/accounts/{account}/statements/{month}/statement.xlsx", response_class=Response,
    responses={200: {"description": "清算表 Excel：中文表头，合计与期末余额为 Excel 公式 (the statement as .xlsx; "
                     "sums are formulas)", "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}},
               **problem_responses(*_STATEMENT_PROBLEMS)},
    summary="下载月度清算表（Excel） (the clearing statement as Excel)",
)
async def statement_xlsx(_: Staff, account: Account, month: Month, service: Service) -> Response:
    found = await service.statement(account, month)
    content = await run_in_threadpool(write_xlsx, clearing_document(found))
    return download(content, XLSX, f"fund-{account}-{found.month}.xlsx")


@router.get(
    "/accounts/{account}/statements/{month}/statement.pdf", response_class=Response,
    responses={200: {"description": "清算表 PDF，A4 横向，内嵌字体 (printable, A4 landscape, font embedded)",
                     "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
               **problem_responses(*_STATEMENT_PROBLEMS)},
    summary="打印月度清算表（PDF） (the clearing statement as PDF)",
)
async def statement_pdf(_: Staff, account: Account, month: Month, service: Service) -> Response:
    found = await service.statement(account, month)
    content = await run_in_threadpool(render_table_document, clearing_document(found))
    return download(content, "application/pdf", f"fund-{account}-{found.month}.pdf")
