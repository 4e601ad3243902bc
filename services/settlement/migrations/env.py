from services.settlement.admissions import models as _admissions  # noqa: F401 — registers tables
from services.settlement.alerts import models as _alerts  # noqa: F401
from services.settlement.audit import models as _audit  # noqa: F401
from services.settlement.corrections import models as _corrections  # noqa: F401
from services.settlement.database import Base
from services.settlement.fund import models as _fund  # noqa: F401
from services.settlement.ledger import models as _ledger  # noqa: F401
from services.settlement.manual_claims import models as _manual_claims  # noqa: F401
from services.settlement.recalculation import models as _recalculation  # noqa: F401
from services.settlement.reconciliation import models as _reconciliation  # noqa: F401
from services.settlement.settlements import models as _settlements  # noqa: F401
from shared.migrations import run_migrations

run_migrations(Base.metadata, "settlement")
