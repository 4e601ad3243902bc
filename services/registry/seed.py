"""Demo persons with identities for `make run` (idempotent: existing persons are left alone)."""

from datetime import date

from services.registry.identities.repository import IdentityRepository
from services.registry.identities.schemas import IdentityCreate
from services.registry.identities.service import add_identity
from services.registry.persons.repository import PersonRepository
from services.registry.persons.schemas import InsuranceType, PersonCreate
from services.registry.persons.service import register_person
from shared.auth import Principal, Role
from shared.categories import Category
from shared.db import Database
from shared.settings import DatabaseSettings

DEMO_PERSONS: list[tuple[PersonCreate, list[IdentityCreate]]] = [
    (
        PersonCreate(id_number="370602199001011239", name="张三", insurance_type=InsuranceType.RESIDENT,
                     region_code="370602"),
        [IdentityCreate(category=Category.MINIMUM_ALLOWANCE, document_number="芝民低保〔2023〕3号",
                        approved_on=date(2023, 1, 10))],
    ),
    (
        PersonCreate(id_number="370684198506154323", name="李秀兰", insurance_type=InsuranceType.EMPLOYEE,
                     region_code="370684"),
        [IdentityCreate(category=Category.EXTREME_POVERTY, document_number="蓬民特困〔2022〕41号",
                        approved_on=date(2022, 12, 5))],
    ),
    (
        PersonCreate(id_number="370602195502200021", name="赵桂芳", insurance_type=InsuranceType.RESIDENT,
                     region_code="370602"),
        [IdentityCreate(category=Category.ALLOWANCE_MARGIN, document_number="芝民边缘〔2023〕8号",
                        approved_on=date(2023, 5, 20))],
    ),
    (
        PersonCreate(id_number="37040520100303001X", name="王小明", insurance_type=InsuranceType.RESIDENT,
                     region_code="370405"),
        [IdentityCreate(category=Category.REGISTERED_POOR, document_number="台扶〔2017〕15号",
                        approved_on=date(2017, 6, 1), ended_on=date(2020, 12, 31))],
    ),
    (
        PersonCreate(id_number="370613200012315670", name="孙强", insurance_type=InsuranceType.RESIDENT,
                     region_code="370613"),
        [],
    ),
]

SEEDER = Principal(subject="seed", role=Role.OPS)


async def seed(settings: DatabaseSettings) -> None:
    database = Database(settings.database_url)
    try:
        async with database.sessions.begin() as session:
            persons, identities = PersonRepository(session), IdentityRepository(session)
            for person_data, identity_data in DEMO_PERSONS:
                if await persons.by_id_number(person_data.id_number) is not None:
                    continue
                person = await register_person(persons, person_data, SEEDER)
                for data in identity_data:
                    await add_identity(identities, person, data, SEEDER)
    finally:
        await database.dispose()
