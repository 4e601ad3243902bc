from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from services.settlement.corrections.schemas import (
    DecisionRequest,
    PaymentRequest,
    PersonPayment,
    PersonPayments,
    Proposal,
    Proposals,
)
from services.settlement.corrections.service import (
    CorrectionService,
    done_on_out_of_range,
    not_deciding_agency,
    payment_amount_mismatch,
    payment_not_due,
    payment_recorded,
    proposal_not_found,
    proposal_outdated,
    refused,
)
from services.settlement.idempotency import REPLAYABLE, REPLAYED
from shared.auth import Principal, Role, require
from shared.errors import problem_responses
from shared.id_number import IdNumberStr

router = APIRouter(prefix="/v1/correction-proposals", tags=["corrections 更正建议"])
payments_router = APIRouter(prefix="/v1/correction-payments", tags=["corrections 更正建议"])
Reader = Annotated[Principal, Depends(require(Role.AGENCY, Role.OPS))]
Decider = Annotated[Principal, Depends(require(Role.AGENCY))]
ProposalId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]


def _service(request: Request) -> CorrectionService:
    return request.app.state.corrections


Service = Annotated[CorrectionService, Depends(_service)]


@router.get("", summary="更正建议列表 (correction proposals, newest first)",
            description="名单变更迟到、身份回溯、因病致贫追溯或撤销结算后，平台重算受影响的结算并生成更正建议。"
            " After a late list change, a back-dated identity, an illness-poverty look-back or a cancellation, the"
            " affected settlements are replayed and a proposal lists each fund's difference.")
async def listing(
    _: Reader, service: Service,
    status: Annotated[Literal["pending", "approved", "rejected", "superseded"] | None, Query()] = None,
    id_number: Annotated[IdNumberStr | None, Query(description="身份证号 (the person)")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50, offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Proposals:
    return Proposals(items=await service.listing(status=status, id_number=id_number, limit=limit, offset=offset))


@router.get("/{proposal_id}", responses=problem_responses(proposal_not_found()),
            summary="更正建议：各笔结算、各项基金差额、原因与重算轨迹"
            " (a proposal: each settlement, each fund's difference, the reason and the trace)")
async def get(_: Reader, proposal_id: ProposalId, service: Service) -> Proposal:
    return await service.get(proposal_id)


@router.post(
    "/{proposal_id}/decision",
    responses=problem_responses(proposal_not_found(), not_deciding_agency(), refused("superseded"),
                                refused("approved"), proposal_outdated()),
    summary="批准或驳回更正建议 (approve or reject a proposal)",
    description="民政部门处理；仅涉及返贫致贫、监测帮扶等乡村振兴部门名单身份的建议，乡村振兴部门亦可处理。"
    "批准：按差额记调整分录（关联原结算），应补付或追回的金额记在建议上。已处理或已被取代的建议不能再处理（409）。"
    " Civil affairs decides; rural revitalization too when only its lists' identities are concerned. Approval books"
    " adjustment entries linked to the original settlements and records the money to pay or recover. A decided or"
    " superseded proposal cannot be decided (409).",
)
async def decide(principal: Decider, proposal_id: ProposalId, body: DecisionRequest, service: Service) -> Proposal:
    await service.decide(proposal_id, principal, approve=body.decision == "approve", reason=body.reason)
    return await service.get(proposal_id)


@router.post(
    "/{proposal_id}/payment", status_code=201,
    responses={201: REPLAYABLE, **problem_responses(
        proposal_not_found(), not_deciding_agency(), payment_not_due(), payment_recorded(),
        payment_amount_mismatch(), done_on_out_of_range())},
    summary="登记补付或追回 (record that the person was paid, or the money recovered)",
    description="已批准的更正建议，个人自付差额为正应补付参保人，为负应追回：处理部门登记到账日期、凭证号与金额（须等于应付或应追回"
    "金额），一次登记全额；同一登记重复提交原样返回（Idempotent-Replayed），不同登记为409。登记记入更正建议的处理记录。"
    " An approved proposal's personal-share difference is paid to the person (> 0) or recovered (< 0): the deciding"
    " agency records the day, the reference and the amount (what is due), once and in full; the same record again"
    " answers as the first (Idempotent-Replayed), another is a 409. The record joins the proposal's history.",
)
async def record_payment(principal: Decider, proposal_id: ProposalId, body: PaymentRequest, service: Service,
                         response: Response) -> PersonPayment:
    payment, replayed = await service.record_payment(proposal_id, body, principal)
    if replayed:
        response.headers.update(REPLAYED)
    return payment


@payments_router.get(
    "", summary="应补付或应追回参保人的款项 (what approved corrections leave to pay the persons or recover)",
    description="已批准且个人自付有差额的更正建议，按批准时间先后：应补付（pay）或应追回（recover）金额、其中医疗救助与再救助差额"
    "（计入批准月的资金清算表），及登记情况。status=due 未登记，done 已登记。身份证号脱敏，令牌具 pii:read 时显示全号。"
    " Approved proposals whose personal share moved, oldest approval first: the amount to pay (pay) or recover"
    " (recover), of which assistance and re-assistance (in the approval month's clearing), and the record."
    " status=due: not recorded yet; done: recorded. ID numbers masked without pii:read.",
)
async def person_payments(
    principal: Reader, service: Service,
    status: Annotated[Literal["due", "done"] | None, Query(description="due 待登记 / done 已登记")] = None,
    kind: Annotated[Literal["pay", "recover"] | None, Query(description="pay 补付 / recover 追回")] = None,
    id_number: Annotated[IdNumberStr | None, Query(description="身份证号 (the person)")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50, offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> PersonPayments:
    return PersonPayments(items=await service.person_payments(
        principal, done=None if status is None else status == "done", kind=kind, id_number=id_number, limit=limit,
        offset=offset))
