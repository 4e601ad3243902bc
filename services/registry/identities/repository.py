from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.identities.models import IdentityRow


class IdentityRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def of_persons(
        self, person_ids: list[int], *, category: str | None = None, with_superseded: bool = False,
    ) -> dict[int, list[IdentityRow]]:
        """Each person's identities: the current versions, or every version ever recorded."""
        query = select(IdentityRow).where(IdentityRow.person_id.in_(person_ids))
        if category is not None:
            query = query.where(IdentityRow.category == category)
        if not with_superseded:
            query = query.where(IdentityRow.superseded_at.is_(None))
        found: dict[int, list[IdentityRow]] = {pid: [] for pid in person_ids}
        for row in await self.session.scalars(query.order_by(IdentityRow.effective_from, IdentityRow.id)):
            found[row.person_id].append(row)
        return found

    async def of_person(
        self, person_id: int, category: str | None = None, *, with_superseded: bool = False,
    ) -> list[IdentityRow]:
        return (await self.of_persons([person_id], category=category, with_superseded=with_superseded))[person_id]

    async def current(self, person_id: int, identity_key: str) -> IdentityRow | None:
        return await self.session.scalar(select(IdentityRow).where(
            IdentityRow.person_id == person_id, IdentityRow.identity_key == identity_key,
            IdentityRow.superseded_at.is_(None),
        ))

    async def add(self, identity: IdentityRow) -> IdentityRow:
        self.session.add(identity)
        await self.session.flush()
        return identity

    async def supersede(self, identity: IdentityRow, at: datetime) -> None:
        await self.session.execute(
            update(IdentityRow).where(IdentityRow.id == identity.id).values(superseded_at=at)
        )
        identity.superseded_at = at
