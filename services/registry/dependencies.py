"""What routes ask for: repositories on the request session, the caller, a valid person."""

from typing import Annotated

from fastapi import Depends, Path

from services.registry.audit.repository import AuditRepository
from services.registry.identities.repository import IdentityRepository
from services.registry.persons.models import PersonRow
from services.registry.persons.repository import PersonRepository
from services.registry.persons.service import get_person
from shared.auth import Principal, Role, Scope, require
from shared.db import repository
from shared.id_number import IdNumberStr

Persons = repository(PersonRepository)
Identities = repository(IdentityRepository)
AuditLog = repository(AuditRepository)
Reader = Annotated[Principal, Depends(require(Role.OPS, Role.AGENCY, Role.SERVICE, scope=Scope.PERSONS_READ))]
Writer = Annotated[Principal, Depends(require(Role.OPS, Role.AGENCY, scope=Scope.PERSONS_WRITE))]
# Enrolment and a person's name and region come from the insurance side, not from an agency's list.
Enroller = Annotated[Principal, Depends(require(Role.OPS, scope=Scope.PERSONS_WRITE))]
# Filings (chronic disease, out-of-region care) are medical-security business (the 医保 window):
# operations staff record and review them.
FilingClerk = Annotated[Principal, Depends(require(Role.OPS, scope=Scope.PERSONS_WRITE))]
IdNumberPath = Annotated[IdNumberStr, Path(description="身份证号 (ID number)")]


async def _valid_person(id_number: IdNumberPath, persons: Persons) -> PersonRow:
    return await get_person(persons, id_number)


ValidPerson = Annotated[PersonRow, Depends(_valid_person)]
