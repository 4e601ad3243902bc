from typing import Annotated

from fastapi import Depends

from services.catalog.hospitals.repository import HospitalRepository
from services.catalog.regions.repository import RegionRepository
from shared.auth import Principal, Scope, require
from shared.db import repository

Regions = repository(RegionRepository)
Hospitals = repository(HospitalRepository)
Reader = Annotated[Principal, Depends(require(scope=Scope.CATALOG_READ))]
