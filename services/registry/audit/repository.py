from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.audit.models import AuditRow


class AuditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def record(
        self, *, at: datetime, actor: str, action: str, person_id: int | None, entity: str, entity_key: str,
        before: dict[str, Any] | None, after: dict[str, Any] | None, batch_id: str | None = None,
    ) -> None:
        self.session.add(AuditRow(
            at=at, actor=actor, action=action, person_id=person_id, entity=entity, entity_key=entity_key,
            before=before, after=after, batch_id=batch_id,
        ))

    async def of_person(self, person_id: int, *, limit: int, offset: int) -> list[AuditRow]:
        return list(await self.session.scalars(
            select(AuditRow).where(AuditRow.person_id == person_id).order_by(AuditRow.id).limit(limit).offset(offset)
        ))
