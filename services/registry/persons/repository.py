from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.persons.models import InsuranceEventRow, PersonRow


class PersonRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_id_number(self, id_number: str) -> PersonRow | None:
        return await self.session.scalar(select(PersonRow).where(PersonRow.id_number == id_number))

    async def by_id_numbers(self, id_numbers: list[str]) -> dict[str, PersonRow]:
        rows = await self.session.scalars(select(PersonRow).where(PersonRow.id_number.in_(id_numbers)))
        return {row.id_number: row for row in rows}

    async def lock(self, person: PersonRow) -> None:
        """Hold the person's row until the transaction ends: serializes changes to their records."""
        await self.session.execute(select(PersonRow.id).where(PersonRow.id == person.id).with_for_update())

    async def add(self, person: PersonRow) -> PersonRow:
        self.session.add(person)
        await self.session.flush()
        return person

    async def search(
        self, *, id_number: str | None, name: str | None, region_code: str | None, limit: int, offset: int,
    ) -> tuple[list[PersonRow], int]:
        query = select(PersonRow)
        if id_number is not None:
            query = query.where(PersonRow.id_number == id_number)
        if name is not None:
            query = query.where(PersonRow.name == name)
        if region_code is not None:
            query = query.where(PersonRow.region_code == region_code)
        total = await self.session.scalar(select(func.count()).select_from(query.subquery()))
        rows = await self.session.scalars(query.order_by(PersonRow.id).limit(limit).offset(offset))
        return list(rows), total or 0

    async def add_insurance_event(self, event: InsuranceEventRow) -> InsuranceEventRow:
        self.session.add(event)
        await self.session.flush()
        return event

    async def insurance_events(self, person_ids: list[int]) -> dict[int, list[InsuranceEventRow]]:
        rows = await self.session.scalars(
            select(InsuranceEventRow).where(InsuranceEventRow.person_id.in_(person_ids))
            .order_by(InsuranceEventRow.effective_from, InsuranceEventRow.id)
        )
        events: dict[int, list[InsuranceEventRow]] = {pid: [] for pid in person_ids}
        for row in rows:
            events[row.person_id].append(row)
        return events
