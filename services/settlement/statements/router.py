import asyncio
from datetime import date

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from services.settlement.peers import Peers
from services.settlement.settlements.router import (
    Reader,
    SettlementId,
    Settlements,
    settlement_not_found,
    stored_statement,
)
from services.settlement.statements.layout import SelfPayParts, statement_document
from services.settlement.statements.render import render_pdf
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


@router.get(
    "/{settlement_id}/statement.pdf", response_class=Response,
    summary="打印结算单（PDF） (the printable statement, PDF)",
    description="按结算时保存的结算单打印，不重新计算；已撤销的结算标明“已撤销”及原因。医院名称取自目录，姓名取自救助对象登记。"
    " Printed from the statement stored with the settlement (nothing recalculated); a cancelled one is marked"
    " 已撤销 with its reason. The hospital's name comes from the catalog, the person's from the registry.",
    responses={**PDF_RESPONSE, **problem_responses(
        settlement_not_found(), PeerUnavailable("catalog", "timeout"),
    )},
)
async def statement_pdf(
    principal: Reader, settlement_id: SettlementId, settlements: Settlements, request: Request,
) -> Response:
    row = await settlements.by_id(settlement_id)
    statement = stored_statement(principal, row)
    peers: Peers = request.app.state.peers
    hospital_name, person_name = await asyncio.gather(
        _hospital_name(peers, row.hospital_code, row.discharged_on), _person_name(peers, row.id_number),
    )
    document = statement_document(
        statement, hospital_name=hospital_name, person_name=person_name,
        older_self_pay=SelfPayParts(row.bill_full_self_pay, row.bill_over_limit_self_pay, None),
    )
    pdf = await run_in_threadpool(render_pdf, document)  # tens of milliseconds of CPU: off the event loop
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="statement-{statement.settlement_id}.pdf"',
    })
