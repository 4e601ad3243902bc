from services.settlement.app import SERVICE_DIR
from services.settlement.changes.worker import work
from services.settlement.settings import SettlementSettings
from shared.cli import run

run(
    name="settlement", service_dir=SERVICE_DIR, settings_factory=SettlementSettings,
    app_factory="services.settlement.app:create_app", default_port=8104, worker=work,
)
