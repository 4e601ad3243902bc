"""A change event as a service's feed (`GET /v1/changes`) and its broker relay give it.

The event names what changed for whom and over which days: consumers (settlement's corrections)
look for the settlements of that person discharged inside the window. Dates are business dates;
`effective_until` is exclusive, as an identity's window (null: open-ended).
"""

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

_EXAMPLE = {
    "id": 42, "type": "identity.ended", "id_number": "370602199001011239",
    "effective_from": "2023-10-01", "effective_until": None,
    "before": {"identity_id": "13678812b059481f93039bdd927d18db", "category": "minimum_allowance",
               "effective_from": "2023-04-01", "effective_until": None},
    "after": {"identity_id": "13678812b059481f93039bdd927d18db", "category": "minimum_allowance",
              "effective_from": "2023-04-01", "effective_until": "2023-10-01"},
    "occurred_at": "2023-09-20T02:15:00Z",
}


class ChangeEvent(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [_EXAMPLE]})

    id: int = Field(description="在本服务变更流中的序号，按提交顺序递增，即游标 (position in the feed, "
                                "increasing in commit order: the cursor)")
    type: str = Field(description="事件类型，如 identity.ended、grant.approved、settlement.settled "
                                  "(the event type; also the broker routing key)")
    id_number: str = Field(description="身份证号 (the person's ID number; never logged unmasked)")
    effective_from: date | None = Field(description="受影响期间首日（含） (first day the change affects)")
    effective_until: date | None = Field(description="受影响期间止日（不含），null 为不定期 "
                                                     "(first day no longer affected; null: open-ended)")
    before: dict[str, Any] | None = Field(description="变更前 (the state before, where it matters)")
    after: dict[str, Any] | None = Field(description="变更后 (the state after)")
    occurred_at: datetime = Field(description="发生时间 (when the change was written)")


class ChangePage(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"changes": [_EXAMPLE], "next_after": 42}]})

    changes: list[ChangeEvent] = Field(description="按 id 升序 (oldest first)")
    next_after: int = Field(description="下次请求的 after (the cursor to ask from next)")
