from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.persons.models import PersonRow


class PersonRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_id_number(self, id_number: str) -> PersonRow | None:
        return await self.session.scalar(select(PersonRow).where(PersonRow.id_number == id_number))

    async def lock(self, person: PersonRow) -> None:
        """Hold the person's row until the transaction ends: serializes changes to their identities."""
        await self.session.execute(select(PersonRow.id).where(PersonRow.id == person.id).with_for_update())

    async def add(self, person: PersonRow) -> PersonRow:
        self.session.add(person)
        await self.session.flush()
        return person
