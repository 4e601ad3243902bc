from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.audit.models import AuditRow
from services.registry.changes.models import ChangeEventRow
from services.registry.changes.rules import change_of
from services.registry.persons.models import PersonRow
from shared.db import insert_many


class AuditRepository:
    """The audit log, and with it the outbox: an audited change that is a change event (changes.rules)
    writes its event in the same transaction, whichever write path made it."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def record(
        self, *, at: datetime, actor: str, action: str, person: PersonRow, entity: str, entity_key: str,
        before: dict[str, Any] | None, after: dict[str, Any] | None, batch_id: str | None = None,
    ) -> None:
        self.session.add(AuditRow(
            at=at, actor=actor, action=action, person_id=person.id, entity=entity, entity_key=entity_key,
            before=before, after=after, batch_id=batch_id,
        ))
        change = change_of(action, person.id_number, at, before, after)
        if change is not None:
            self.session.add(ChangeEventRow(**change.values()))

    async def record_many(self, entries: list[dict[str, Any]], id_numbers: dict[int, str]) -> None:
        """Many audit rows (a list import: AuditRow's columns each), keyed by person id in `id_numbers`."""
        changes = [change_of(e["action"], id_numbers[e["person_id"]], e["at"], e["before"], e["after"])
                   for e in entries]
        await insert_many(self.session, AuditRow.__table__, entries)
        await insert_many(self.session, ChangeEventRow.__table__, [c.values() for c in changes if c is not None])

    async def of_person(self, person_id: int, *, limit: int, offset: int) -> list[AuditRow]:
        return list(await self.session.scalars(
            select(AuditRow).where(AuditRow.person_id == person_id).order_by(AuditRow.id).limit(limit).offset(offset)
        ))
