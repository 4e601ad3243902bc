from services.catalog.database import Base
from services.catalog.hospitals import models as _hospitals  # noqa: F401 — registers tables
from services.catalog.items import models as _items  # noqa: F401
from services.catalog.regions import models as _regions  # noqa: F401
from shared.migrations import run_migrations

run_migrations(Base.metadata, "catalog")
