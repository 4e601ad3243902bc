from typing import Annotated

from fastapi import Depends

from services.catalog.hospitals.repository import HospitalRepository
from services.catalog.regions.repository import RegionRepository
from shared.auth import Principal, Scope, require
from shared.db import DbSession


def _regions(session: DbSession) -> RegionRepository:
    return RegionRepository(session)


def _hospitals(session: DbSession) -> HospitalRepository:
    return HospitalRepository(session)


Regions = Annotated[RegionRepository, Depends(_regions)]
Hospitals = Annotated[HospitalRepository, Depends(_hospitals)]
Reader = Annotated[Principal, Depends(require(scope=Scope.CATALOG_READ))]
