from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.identities.models import IdentityRow


class IdentityRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def of_person(self, person_id: int, category: str | None = None) -> list[IdentityRow]:
        query = select(IdentityRow).where(IdentityRow.person_id == person_id)
        if category is not None:
            query = query.where(IdentityRow.category == category)
        return list(await self.session.scalars(query.order_by(IdentityRow.effective_from, IdentityRow.id)))

    async def add(self, identity: IdentityRow) -> IdentityRow:
        self.session.add(identity)
        await self.session.flush()
        return identity
