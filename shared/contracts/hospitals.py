"""Asking the catalog about a hospital, as every service that needs it does: registry (a chronic
filing's chosen hospital) and settlement (the hospital of an admission or a discharge)."""

from datetime import date
from typing import Any

from shared.errors import Unprocessable
from shared.http_client import RemoteProblem, ServiceClient


async def fetch_hospital(catalog: ServiceClient, hospital_code: str, on: date) -> dict[str, Any]:
    """The catalog's hospital as of `on`; an unknown code is the client's mistake (422)."""
    try:
        return await catalog.get(f"/v1/hospitals/{hospital_code}", params={"on": on.isoformat()})
    except RemoteProblem as exc:
        if exc.remote_status == 404:
            raise Unprocessable(f"未知医疗机构 {hospital_code} (unknown hospital)", code="hospital_unknown") from exc
        raise


def ensure_designated(hospital: dict[str, Any]) -> dict[str, Any]:
    if not hospital["designated"]:
        raise Unprocessable(
            "该医疗机构在当日不是一站式结算定点 (not designated on that date)", code="hospital_not_designated",
        )
    return hospital


async def fetch_hospital_changes(catalog: ServiceClient, after: int | None) -> dict[str, Any]:
    """The catalog's hospital changes after sequence number `after` ({items, last_seq}); without
    `after`, only the latest number (where a new follower starts)."""
    return await catalog.get("/v1/hospitals/changes", params={} if after is None else {"after": str(after)})
