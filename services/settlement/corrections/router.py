from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request

from services.settlement.corrections.schemas import DecisionRequest, Proposal, Proposals
from services.settlement.corrections.service import (
    CorrectionService,
    not_deciding_agency,
    proposal_not_found,
    proposal_outdated,
    refused,
)
from shared.auth import Principal, Role, require
from shared.errors import problem_responses
from shared.id_number import IdNumberStr

router = APIRouter(prefix="/v1/correction-proposals", tags=["corrections 更正建议"])
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
