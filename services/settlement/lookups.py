"""What settlement asks its peers before it writes anything: who the patient is on a date and
whether the hospital is designated. Both calls happen outside any transaction."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from services.settlement.peers import Peers
from shared.categories import Category
from shared.errors import Unprocessable
from shared.http_client import RemoteProblem


@dataclass(frozen=True)
class Patient:
    identities: list[Category]
    reason: str | None  # why no identity can apply, when the registry says so


async def patient(peers: Peers, id_number: str, on: date) -> Patient:
    try:
        eligibility = await peers.registry.get(f"/v1/persons/{id_number}/eligibility", params={"on": on.isoformat()})
    except RemoteProblem as exc:
        if exc.remote_code == "person_not_found":
            return Patient([], "救助对象登记中无此人，仅按医保结算 (not in the registry: insurance only)")
        raise
    if not eligibility["insured"]:
        return Patient([], "当日未参保，无救助 (not insured on that date)")
    return Patient([Category(i["category"]) for i in eligibility["identities"]], None)


async def designated_hospital(peers: Peers, hospital_code: str, on: date) -> dict[str, Any]:
    try:
        hospital = await peers.catalog.get(f"/v1/hospitals/{hospital_code}", params={"on": on.isoformat()})
    except RemoteProblem as exc:
        if exc.remote_status == 404:
            raise Unprocessable(f"未知医疗机构 {hospital_code} (unknown hospital)", code="hospital_unknown") from exc
        raise
    if not hospital["designated"]:
        raise Unprocessable(
            "该医疗机构在当日不是一站式结算定点 (not designated on that date)", code="hospital_not_designated",
        )
    return hospital
