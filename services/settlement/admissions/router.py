from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from services.settlement.admissions.rules import TreatFirstPayLater
from services.settlement.admissions.schemas import Admission, AdmissionRequest
from services.settlement.admissions.service import admit
from services.settlement.idempotency import REPLAYABLE, REPLAYED
from services.settlement.lookups import LOOKUP_LIMITED
from shared.auth import Principal, Role, Scope, require
from shared.errors import Conflict, Forbidden, TooManyRequests, problem_responses

router = APIRouter(prefix="/v1/admissions", tags=["admissions 入院登记"])


@router.post(
    "", status_code=201,
    summary="入院登记，判断是否先诊疗后付费 (register an admission; tells whether no deposit is due)",
    responses={201: REPLAYABLE, **problem_responses(
        Forbidden("令牌所属医院与结算医院不一致 (the token belongs to another hospital)", code="hospital_mismatch"),
        Conflict("该住院号已登记为另一次入院 (admission number already used)", code="admission_exists"),
        TooManyRequests(LOOKUP_LIMITED, code="lookup_rate_limited"),
        503,
    )},
)
async def register_admission(
    principal: Annotated[Principal, Depends(require(Role.HIS, Role.OPS, scope=Scope.SETTLEMENTS_WRITE))],
    body: AdmissionRequest,
    request: Request,
    response: Response,
) -> Admission:
    app = request.app
    settings = app.state.settings
    rule = TreatFirstPayLater(frozenset(settings.treat_first_pay_later), settings.treat_first_pay_later_region,
                              settings.treat_first_pay_later_from)
    admission, replayed = await admit(app.state.database, app.state.peers, body, principal, rule,
                                      app.state.lookup_limiter)
    if replayed:
        response.headers.update(REPLAYED)
    return admission
