from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from sqlalchemy import Row

from services.settlement import peers
from services.settlement.idempotency import REPLAYABLE, REPLAYED
from services.settlement.lookups import LOOKUP_LIMITED, MANUAL_CLAIM, NOT_FILED
from services.settlement.manual_claims.rules import paid_claim_not_cancellable
from services.settlement.settlements import chronic
from services.settlement.settlements.repository import SettlementRepository
from services.settlement.settlements.schemas import (
    Cancellation,
    CancelRequest,
    PreviewRequest,
    PreviewStatement,
    SettlementLine,
    SettlementPage,
    SettlementRequest,
    SettlementSummary,
    Statement,
)
from services.settlement.settlements.service import SettlementFlow, cancellation_note, preview_timeout
from shared import server_timing
from shared.auth import Principal, Role, Scope, ensure_hospital_access, require
from shared.contracts.items import LINE_PROBLEM_EXAMPLES
from shared.db import DbSession
from shared.errors import (
    Conflict,
    Forbidden,
    NotFound,
    ServiceUnavailable,
    TooManyRequests,
    Unprocessable,
    problem_responses,
)
from shared.id_number import mask
from shared.types import BusinessDate

router = APIRouter(prefix="/v1/settlements", tags=["settlements 出院结算"])
Writer = Annotated[Principal, Depends(require(Role.HIS, Role.OPS, scope=Scope.SETTLEMENTS_WRITE))]
Reader = Annotated[Principal, Depends(require(Role.HIS, Role.OPS, scope=Scope.SETTLEMENTS_READ))]


async def _settlements(session: DbSession) -> SettlementRepository:
    return SettlementRepository(await session.connection())


Settlements = Annotated[SettlementRepository, Depends(_settlements)]
SettlementId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]


async def _flow(request: Request) -> SettlementFlow:
    return request.app.state.settlement_flow


Flow = Annotated[SettlementFlow, Depends(_flow)]


def settlement_not_found() -> NotFound:
    return NotFound("未找到该结算 (no such settlement)", code="settlement_not_found")
_SETTLE_PROBLEMS = (
    Forbidden("令牌所属医院与结算医院不一致 (the token belongs to another hospital)", code="hospital_mismatch"),
    Conflict("该流水号正在结算中，请稍后重试 (this serial number is being settled; retry shortly)",
             code="settlement_in_progress"),
    Conflict("该流水号的结算已撤销，重新结算请使用新的流水号"
             " (this settlement was cancelled; settle again with a new serial)", code="settlement_cancelled"),
    Unprocessable("该流水号已用于另一笔不同的结算 (this serial number was used for a different settlement)",
                  code="idempotency_key_reused"),
    Unprocessable("险种与登记不符：HIS为职工医保，救助对象登记为居民医保"
                  " (insurance type mismatch: the HIS sent employee, the registry has resident)",
                  code="insurance_type_mismatch"),
    Unprocessable("费用汇总与费用明细只能二选一 (send the bill in summary or its fee lines, not both)",
                  code="bill_summary_and_lines"),
    Unprocessable(NOT_FILED, code="out_of_region_not_filed",
                  extra={"person_region_code": "370405", "hospital_region_code": "370602",
                         "manual_claim": MANUAL_CLAIM}),
    *LINE_PROBLEM_EXAMPLES,
    *chronic.PROBLEMS,
    TooManyRequests(LOOKUP_LIMITED, code="lookup_rate_limited"),
    ServiceUnavailable("结算超时，请稍后以同一流水号重试 (the settlement took too long; retry with the same serial)",
                       code="settlement_timeout"),
    ServiceUnavailable("该参保人同时有多笔结算，请稍后重试 (concurrent settlements of this person; retry)",
                       code="person_busy"),
)

_SERVER_TIMING = {"Server-Timing": {
    "description": "结算各环节耗时（毫秒）(where the settlement's time went, in ms, W3C Server-Timing): each peer's"
    " calls, db (the database), app (the service's own work: all less the database and the time a peer call"
    " was in flight), total (in the handler, once the token and the body were checked)",
    "schema": {"type": "string"},
    "example": "registry;dur=1.20, catalog;dur=0.00, assistance;dur=2.10, db;dur=3.00, app;dur=1.70, total;dur=8.00",
}}

# What only a settlement meets: its serial, its write, its deadline ("retry with the same serial").
_SETTLEMENT_ONLY = {"settlement_in_progress", "settlement_cancelled", "idempotency_key_reused", "person_busy",
                    "settlement_timeout"}


@router.post(
    "", status_code=201, response_model=Statement,
    summary="出院结算：一单制 (settle a discharge: every fund's share on one statement)",
    description="HIS流水号为幂等键：同号同内容返回原结算单；同号不同内容 422；处理中 409。"
    " The HIS serial is the idempotency key: same body → the stored statement byte for byte.",
    responses={201: {"headers": {**REPLAYABLE["headers"], **_SERVER_TIMING}},
               **problem_responses(*_SETTLE_PROBLEMS)},
)
async def settle(principal: Writer, body: SettlementRequest, flow: Flow) -> Response:
    timing, token = server_timing.start(peers.NAMES)
    try:
        statement, replayed = await flow.settle(body, principal)
    finally:
        server_timing.stop(token)
    headers = {"Server-Timing": timing.header()}
    if replayed:
        headers.update(REPLAYED)
    return Response(content=statement, status_code=201, media_type="application/json", headers=headers)


@router.post(
    ":preview", response_model=PreviewStatement,
    summary="预结算：结算前试算，不记账 (pre-settlement: what a settlement would pay now; nothing is written)",
    description="与出院结算同一请求体、同一计算；不占用流水号，不记入年度累计。"
    " Same body and computation as a settlement; no serial is taken and the year-to-date does not move.",
    responses=problem_responses(*(p for p in _SETTLE_PROBLEMS if p.code not in _SETTLEMENT_ONLY), preview_timeout()),
)
async def preview(principal: Writer, body: PreviewRequest, flow: Flow) -> PreviewStatement:
    return await flow.preview(body, principal)


@router.get("/{settlement_id}", summary="结算单 (a settlement's statement)",
            responses=problem_responses(settlement_not_found()))
async def read_settlement(principal: Reader, settlement_id: SettlementId, settlements: Settlements) -> Statement:
    return stored_statement(principal, await settlements.by_id(settlement_id))


def stored_statement(principal: Principal, row: Row | None) -> Statement:
    """The statement as stored with the settlement and as it stands now (status, cancellation); 404
    for a settlement not settled yet or of another hospital, as if it did not exist."""
    if row is None or row.statement is None:
        raise settlement_not_found()
    ensure_hospital_access(principal, row.hospital_code, code="settlement_not_found")
    return Statement.model_validate_json(row.statement).model_copy(
        update={"status": row.status, "cancellation": cancellation_note(row)})


@router.get("/{settlement_id}/lines", summary="结算的费用明细及其分类 (an itemized settlement's fee lines, classified)",
            responses=problem_responses(NotFound("未找到该结算 (no such settlement)", code="settlement_not_found")))
async def read_lines(
    principal: Reader, settlement_id: SettlementId, settlements: Settlements,
    limit: Annotated[int, Query(ge=1, le=5000)] = 5000,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[SettlementLine]:
    row = await settlements.by_id(settlement_id)
    if row is None or row.statement is None:
        raise NotFound("未找到该结算 (no such settlement)", code="settlement_not_found")
    ensure_hospital_access(principal, row.hospital_code, code="settlement_not_found")
    return [SettlementLine.model_validate(line, from_attributes=True)
            for line in await settlements.lines(settlement_id, limit=limit, offset=offset)]


@router.get("", summary="本院结算列表，按出院日期 (settlements of the hospital by discharge date)",
            responses=problem_responses(Unprocessable(
                "起始日期晚于截止日期 (discharged_from is after discharged_to)", code="invalid_date_range")))
async def list_settlements(
    principal: Reader,
    settlements: Settlements,
    discharged_from: Annotated[BusinessDate | None, Query()] = None,
    discharged_to: Annotated[BusinessDate | None, Query()] = None,
    hospital_code: Annotated[str | None, Query(pattern=r"^[0-9]{6,12}$", description="ops only")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> SettlementPage:
    if discharged_from is not None and discharged_to is not None and discharged_from > discharged_to:
        raise Unprocessable("起始日期晚于截止日期 (discharged_from is after discharged_to)", code="invalid_date_range")
    hospital = principal.hospital_code if principal.role is Role.HIS else hospital_code
    rows, total = await settlements.search(
        hospital_code=hospital, discharged_from=discharged_from, discharged_to=discharged_to,
        limit=limit, offset=offset,
    )
    return SettlementPage(items=[SettlementSummary(
        settlement_id=r.id, status=r.status, his_serial=r.his_serial, hospital_code=r.hospital_code,
        id_number=mask(r.id_number), discharged_on=r.discharged_on, identity_applied=r.identity_applied,
        total=r.total, personal_share=r.personal_share, needs_recalculation=r.needs_recalculation,
    ) for r in rows], total=total, limit=limit, offset=offset)


@router.post(
    "/{settlement_id}/cancel", summary="撤销结算，冲销累计 (cancel: reversing ledger entries)",
    responses=problem_responses(
        NotFound("未找到该结算 (no such settlement)", code="settlement_not_found"),
        Conflict("该结算已撤销或尚未结算完成，不能撤销 (only a settled settlement can be cancelled)",
                 code="settlement_not_cancellable"),
        paid_claim_not_cancellable(),
    ),
)
async def cancel(principal: Writer, settlement_id: SettlementId, body: CancelRequest, flow: Flow) -> Cancellation:
    return await flow.cancel(settlement_id, principal, body)
