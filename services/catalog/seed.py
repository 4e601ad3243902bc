"""Demo data for `make run` (idempotent): the sample item catalog (`items.sample`) and
Tai'erzhuang's designated hospitals as clearly named fixtures. The district's plan
(台民字〔2017〕26号) names no hospitals, so none here is a real one: codes of nine digits starting
99 (the real codes of the 2018 list have six), and every name says it is sample data."""

from datetime import date

from services.catalog.hospitals import service
from services.catalog.hospitals.repository import HospitalRepository
from services.catalog.hospitals.rules import AgreementService, HospitalKind, Level, Ownership
from services.catalog.hospitals.schemas import ApplicationCreate, Evaluation, HospitalCreate, NoticeStart, Signing
from services.catalog.items.sample import seed as seed_items
from services.catalog.regions.repository import RegionRepository
from shared.auth import Principal, Role
from shared.db import Database
from shared.settings import DatabaseSettings

TAIERZHUANG_FIXTURES = [
    HospitalCreate(code="990405001", name="台儿庄区测试医院一（示例数据，非真实机构）", region_code="370405",
                   ownership=Ownership.PUBLIC, level=Level.LEVEL_2, kind=HospitalKind.GENERAL,
                   effective_from=date(2017, 1, 1), reason="示例数据 (demo data)"),
    HospitalCreate(code="990405002", name="台儿庄区测试卫生院二（示例数据，非真实机构）", region_code="370405",
                   ownership=Ownership.PUBLIC, level=Level.LEVEL_1, kind=HospitalKind.PRIMARY_CARE,
                   effective_from=date(2017, 1, 1), reason="示例数据 (demo data)"),
]
SEEDER = Principal(subject="seed", role=Role.OPS)


async def seed(settings: DatabaseSettings) -> None:
    await seed_items(settings)
    database = Database(settings.database_url)
    try:
        for hospital in TAIERZHUANG_FIXTURES:
            async with database.sessions.begin() as session:
                hospitals = HospitalRepository(session)
                if await hospitals.by_code(hospital.code) is not None:
                    continue
                await service.register_hospital(hospitals, RegionRepository(session), hospital, SEEDER)
                # Through the workflow, as ops would: the plan is in force from 2017-05-01.
                application = await service.apply(hospitals, hospital.code, ApplicationCreate(
                    services=[AgreementService.ONE_STOP_ASSISTANCE], applied_on=date(2017, 3, 1)), SEEDER)
                await service.evaluate(hospitals, hospital.code, application.id, Evaluation(
                    evaluated_on=date(2017, 3, 20), evaluation="示例数据 (demo data)"), SEEDER)
                await service.start_notice(hospitals, hospital.code, application.id,
                                           NoticeStart(notice_from=date(2017, 3, 27)), SEEDER)
                await service.sign(hospitals, hospital.code, application.id, Signing(
                    signed_on=date(2017, 4, 20), number=f"示例协议-{hospital.code}", starts_on=date(2017, 5, 1)),
                    SEEDER)
    finally:
        await database.dispose()
