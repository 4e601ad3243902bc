from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from services.registry.dependencies import AuditLog, Reader, ValidPerson
from services.registry.persons.service import person_not_found
from shared.errors import problem_responses

router = APIRouter(prefix="/v1/persons/{id_number}/history", tags=["audit 变更记录"])


class AuditEntry(BaseModel):
    at: datetime
    actor: str = Field(description="操作者（令牌主体） (token subject)")
    action: str
    entity: str
    entity_key: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    batch_id: str | None = Field(description="名单导入批次 (import batch, if any)")


@router.get("", summary="该人员的全部变更记录 (every change to the person, oldest first)",
            responses=problem_responses(person_not_found()))
async def history(
    principal: Reader, person: ValidPerson, audit: AuditLog,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[AuditEntry]:
    entries = [AuditEntry.model_validate(row, from_attributes=True)
               for row in await audit.of_person(person.id, limit=limit, offset=offset)]
    for entry in entries:  # a person's entries are keyed by their ID number
        entry.entity_key = principal.visible_id_number(entry.entity_key) if entry.entity_key == person.id_number \
            else entry.entity_key
    return entries
