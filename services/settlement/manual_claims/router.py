from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from services.settlement.manual_claims.rules import paid_claim_not_cancellable
from services.settlement.manual_claims.schemas import (
    DocumentsUpdate,
    ManualClaim,
    ManualClaimRequest,
    ManualClaims,
    Payment,
)
from services.settlement.manual_claims.service import (
    ManualClaimService,
    already_accepted,
    already_approved,
    already_paid,
    claim_cancelled,
    claim_not_found,
    invoices_do_not_match_bill,
    invoices_not_entered,
    not_approved,
    not_awaiting_calculation,
    not_calculated,
    paid_on_out_of_range,
    person_not_registered,
)
from services.settlement.settlements.schemas import CancelRequest
from services.settlement.statements.router import PDF_RESPONSE, statement_pdf_response
from shared.auth import Principal, Role, require
from shared.errors import problem_responses

router = APIRouter(prefix="/v1/manual-claims", tags=["manual claims 手工（零星）报销"])
Staff = Annotated[Principal, Depends(require(Role.AGENCY, Role.OPS))]
ClaimId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]


def _service(request: Request) -> ManualClaimService:
    return request.app.state.manual_claims


Service = Annotated[ManualClaimService, Depends(_service)]


@router.post(
    "", status_code=201,
    responses=problem_responses(person_not_registered(), invoices_do_not_match_bill(), invoices_not_entered()),
    summary="录入医疗救助对象手工（零星）报销 (enter a manual claim for care outside the network)",
    description="材料不全：状态 incomplete，missing 一次性告知需补齐的材料，不计算。"
    "材料齐全：受理并按一站式结算同一算法、同一台账计算（channel manual），办结时限为受理后10个工作日。"
    " Incomplete: status incomplete, `missing` lists"
    " everything to bring, nothing is calculated. Complete: accepted and settled by the discharge's own chain and"
    " ledger (channel manual), due 10 working days after acceptance.",
)
async def create(principal: Staff, body: ManualClaimRequest, service: Service) -> ManualClaim:
    return await service.create(body, principal)


@router.get("", summary="手工报销申请列表 (manual claims; overdue=true: open past their deadline)")
async def listing(
    principal: Staff, service: Service,
    overdue: Annotated[bool, Query(description="仅列出逾期未办结的 (only those past their deadline)")] = False,
) -> ManualClaims:
    return ManualClaims(items=await service.listing(principal, overdue=overdue))


@router.get("/{claim_id}", responses=problem_responses(claim_not_found()), summary="查询手工报销申请 (a manual claim)")
async def get(principal: Staff, claim_id: ClaimId, service: Service) -> ManualClaim:
    return await service.get(claim_id, principal)


@router.get(
    "/{claim_id}/statement.pdf", response_class=Response,
    responses={**PDF_RESPONSE, **problem_responses(claim_not_found(), not_calculated())},
    summary="打印手工（零星）报销结算单（PDF） (the claim's printable statement, PDF)",
    description="与出院结算单同一版式：申请编号 MC-<id>、受理渠道、票据、申办材料及办理状态；计算前 409。"
    " The discharge's statement, titled for a manual claim, with its number MC-<id>, channel, invoices,"
    " documents checklist and state; 409 before it is calculated.",
)
async def statement_pdf(principal: Staff, claim_id: ClaimId, service: Service, request: Request) -> Response:
    settlement, claim = await service.printable(claim_id, principal)
    return await statement_pdf_response(request.app.state.peers, principal, settlement, claim)


@router.post("/{claim_id}/documents", responses=problem_responses(claim_not_found(), already_accepted()),
             summary="补齐材料 (record documents brought afterwards)")
async def add_documents(principal: Staff, claim_id: ClaimId, body: DocumentsUpdate, service: Service) -> ManualClaim:
    return await service.add_documents(claim_id, body, principal)


@router.post("/{claim_id}/calculation",
             responses=problem_responses(claim_not_found(), not_awaiting_calculation()),
             summary="重新计算（结算失败后） (settle again after a failure)")
async def settle_again(principal: Staff, claim_id: ClaimId, service: Service) -> ManualClaim:
    return await service.settle_again(claim_id, principal)


@router.post("/{claim_id}/approval",
             responses=problem_responses(claim_not_found(), already_approved(), not_calculated(), claim_cancelled()),
             summary="审核通过 (approve)")
async def approve(principal: Staff, claim_id: ClaimId, service: Service) -> ManualClaim:
    return await service.approve(claim_id, principal)


@router.post("/{claim_id}/payment", responses=problem_responses(
    claim_not_found(), not_approved(), already_paid(), claim_cancelled(), paid_on_out_of_range()),
             summary="支付给救助对象 (paid to the person)")
async def pay(principal: Staff, claim_id: ClaimId, body: Payment, service: Service) -> ManualClaim:
    return await service.pay(claim_id, body, principal)


@router.post(
    "/{claim_id}/cancellation",
    responses=problem_responses(claim_not_found(), paid_claim_not_cancellable(), not_calculated(), claim_cancelled()),
    summary="撤销结算并关闭申请 (cancel the claim's settlement, closing the claim)",
    description="冲销该申请结算的台账（同撤销结算），申请状态为 cancelled，更正后须重新录入；已支付的不能撤销。"
    " Reverses the claim's settlement in the ledger (as cancelling any settlement does) and closes the claim"
    " (status cancelled; a corrected claim is entered anew). A paid claim is refused (manual_claim_paid).",
)
async def cancel(principal: Staff, claim_id: ClaimId, body: CancelRequest, service: Service) -> ManualClaim:
    return await service.cancel(claim_id, body, principal)
