from collections import defaultdict
from collections.abc import Collection
from datetime import UTC, date, datetime

from sqlalchemy import func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.catalog.hospitals.models import (
    AgreementRow,
    ApplicationRow,
    HospitalChangeRow,
    HospitalRow,
    HospitalVersionRow,
    SuspensionRow,
)

AgreementWithSuspensions = tuple[AgreementRow, list[SuspensionRow]]


class HospitalRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_code(self, code: str) -> HospitalRow | None:
        return await self.session.get(HospitalRow, code)

    async def search(
        self, *, region_codes: Collection[str] | None, name: str | None, on: date, limit: int, offset: int,
    ) -> tuple[list[HospitalRow], int]:
        """The hospitals registered by `on` (a version in effect then), a page of them and their count."""
        registered = select(HospitalVersionRow.hospital_code).where(
            or_(HospitalVersionRow.valid_from.is_(None), HospitalVersionRow.valid_from <= on))
        query = select(HospitalRow).where(HospitalRow.code.in_(registered))
        if region_codes is not None:
            query = query.where(HospitalRow.region_code.in_(region_codes))
        if name:
            escaped = name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(HospitalRow.name.like(f"%{escaped}%", escape="\\"))
        total = await self.session.scalar(select(func.count()).select_from(query.subquery()))
        rows = await self.session.scalars(query.order_by(HospitalRow.code).limit(limit).offset(offset))
        return list(rows), total or 0

    async def versions(self, codes: Collection[str]) -> dict[str, list[HospitalVersionRow]]:
        """Each hospital's versions in the order they were recorded."""
        found: dict[str, list[HospitalVersionRow]] = defaultdict(list)
        rows = await self.session.scalars(select(HospitalVersionRow).where(
            HospitalVersionRow.hospital_code.in_(codes)).order_by(HospitalVersionRow.id))
        for row in rows:
            found[row.hospital_code].append(row)
        return found

    async def agreements(self, codes: Collection[str]) -> dict[str, list[AgreementWithSuspensions]]:
        """Each hospital's agreements (by start) with their suspensions (by start)."""
        agreements = list(await self.session.scalars(select(AgreementRow).where(
            AgreementRow.hospital_code.in_(codes)).order_by(AgreementRow.starts_on, AgreementRow.id)))
        suspensions: dict[int, list[SuspensionRow]] = defaultdict(list)
        if agreements:
            rows = await self.session.scalars(select(SuspensionRow).where(
                SuspensionRow.agreement_id.in_([a.id for a in agreements])).order_by(
                SuspensionRow.suspended_from, SuspensionRow.id))
            for row in rows:
                suspensions[row.agreement_id].append(row)
        found: dict[str, list[AgreementWithSuspensions]] = defaultdict(list)
        for agreement in agreements:
            found[agreement.hospital_code].append((agreement, suspensions[agreement.id]))
        return found

    async def agreement(self, agreement_id: int) -> AgreementRow | None:
        return await self.session.get(AgreementRow, agreement_id)

    async def agreement_by_number(self, number: str) -> AgreementRow | None:
        return await self.session.scalar(select(AgreementRow).where(AgreementRow.number == number))

    async def suspensions(self, agreement_id: int) -> list[SuspensionRow]:
        return list(await self.session.scalars(select(SuspensionRow).where(
            SuspensionRow.agreement_id == agreement_id).order_by(SuspensionRow.suspended_from, SuspensionRow.id)))

    async def application(self, application_id: int) -> ApplicationRow | None:
        return await self.session.get(ApplicationRow, application_id)

    async def applications(self, code: str) -> list[ApplicationRow]:
        return list(await self.session.scalars(select(ApplicationRow).where(
            ApplicationRow.hospital_code == code).order_by(ApplicationRow.id)))

    async def serialize_writes(self) -> None:
        """Before any write: one writer at a time until commit, so change numbers are handed out in
        commit order and a reader asking for changes after N never misses a later-committed lower
        one. SQLite transactions already begin IMMEDIATE (one writer); on PostgreSQL this lock
        conflicts with itself and with nothing readers take. Taken first, so no writer waits for it
        while holding a row another needs."""
        if self.session.bind.dialect.name == "postgresql":
            await self.session.execute(text("LOCK TABLE hospital_changes IN SHARE ROW EXCLUSIVE MODE"))

    def add(self, *rows: object) -> None:
        self.session.add_all(rows)

    async def record_change(self, hospital_code: str, kind: str) -> None:
        self.session.add(HospitalChangeRow(hospital_code=hospital_code, kind=kind, recorded_at=datetime.now(UTC)))
        await self.session.flush()

    async def changes_after(self, after: int, limit: int) -> list[HospitalChangeRow]:
        return list(await self.session.scalars(select(HospitalChangeRow).where(
            HospitalChangeRow.seq > after).order_by(HospitalChangeRow.seq).limit(limit)))

    async def last_change(self) -> int:
        return await self.session.scalar(select(func.max(HospitalChangeRow.seq))) or 0
