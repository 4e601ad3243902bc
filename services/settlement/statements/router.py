import asyncio
from datetime import date

from fastapi import APIRouter, Request, Response
from sqlalchemy import Row
from starlette.concurrency import run_in_threadpool

from services.settlement.manual_claims.rules import claim_id_of
from services.settlement.peers import Peers
from services.settlement.settlements.router import (
    Reader,
    SettlementId,
    Settlements,
    settlement_not_found,
    stored_statement,
)
from services.settlement.statements.layout import ClaimPrint, SelfPayParts, statement_document
from services.settlement.statements.render import render_pdf
from shared.auth import Principal
from shared.contracts.hospitals import fetch_hospital
from shared.errors import problem_responses
from shared.http_client import PeerUnavailable, RemoteProblem

router = APIRouter(prefix="/v1/settlements", tags=["settlements 出院结算"])

PDF_RESPONSE = {200: {
    "description": "一单制结算单，A4 一页，内嵌字体 (the statement a patient takes home: one A4 page, font embedded)",
    "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
}}


async def _person_name(peers: Peers, id_number: str) -> str | None:
    """The name the registry has; None for a person it does not know (settled on insurance only)."""
    try:
        person = await peers.registry.get(f"/v1/persons/{id_number}")
    except RemoteProblem as exc:
        if exc.remote_code == "person_not_found":
            return None
        raise
    return person["name"]


async def _hospital_name(peers: Peers, hospital_code: str, on: date) -> str:
    return (await fetch_hospital(peers.catalog, hospital_code, on))["name"]


async def statement_pdf_response(
    peers: Peers, principal: Principal, row: Row | None, claim: ClaimPrint | None = None,
) -> Response:
    """The settlement's stored statement printed; a manual claim's (`claim`) names the hospital as
    its invoice does (no catalog look-up: it is not a designated hospital) and adds the claim."""
    statement = stored_statement(principal, row)
    assert row is not None, "stored_statement"
    hospital_name, person_name = await asyncio.gather(
        asyncio.sleep(0, None) if claim is not None else _hospital_name(peers, row.hospital_code, row.discharged_on),
        _person_name(peers, row.id_number),
    )
    document = statement_document(
        statement, hospital_name=hospital_name, person_name=person_name,
        older_self_pay=SelfPayParts(row.bill_full_self_pay, row.bill_over_limit_self_pay, None), claim=claim,
    )
    pdf = await run_in_threadpool(render_pdf, document)  # tens of milliseconds of CPU: off the event loop
    name = statement.settlement_id if claim is None else claim.number
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="statement-{name}.pdf"',
    })


@router.get(
    "/{settlement_id}/statement.pdf", response_class=Response,
    summary="打印结算单（PDF） (the printable statement, PDF)",
    description="按结算时保存的结算单打印，不重新计算；已撤销的结算标明“已撤销”及原因。医院名称取自目录，姓名取自救助对象登记；"
    "手工（零星）报销的结算打印该申请的结算单。"
    " Printed from the statement stored with the settlement (nothing recalculated); a cancelled one is marked"
    " 已撤销 with its reason. The hospital's name comes from the catalog, the person's from the registry; a"
    " manual claim's settlement prints the claim's statement (as GET /v1/manual-claims/{id}/statement.pdf).",
    responses={**PDF_RESPONSE, **problem_responses(
        settlement_not_found(), PeerUnavailable("catalog", "timeout"),
    )},
)
async def statement_pdf(
    principal: Reader, settlement_id: SettlementId, settlements: Settlements, request: Request,
) -> Response:
    row = await settlements.by_id(settlement_id)
    stored_statement(principal, row)  # 404 first, as for any settlement not there for this token
    claim = None
    if row is not None and row.channel == "manual":
        claim_id = claim_id_of(row.his_serial)
        assert claim_id is not None, "a manual settlement's serial is its claim's number"
        _, claim = await request.app.state.manual_claims.printable(claim_id, principal)
    return await statement_pdf_response(request.app.state.peers, principal, row, claim)
