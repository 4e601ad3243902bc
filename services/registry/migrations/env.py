from services.registry.applications import models as _applications  # noqa: F401 — registers tables
from services.registry.audit import models as _audit  # noqa: F401
from services.registry.chronic import models as _chronic  # noqa: F401
from services.registry.database import Base
from services.registry.identities import models as _identities  # noqa: F401
from services.registry.imports import models as _imports  # noqa: F401
from services.registry.out_of_region import models as _out_of_region  # noqa: F401
from services.registry.persons import models as _persons  # noqa: F401
from shared.migrations import run_migrations

run_migrations(Base.metadata, "registry")
