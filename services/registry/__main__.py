from services.registry.app import SERVICE_DIR
from services.registry.changes.worker import work
from services.registry.seed import seed
from services.registry.settings import RegistrySettings
from shared.cli import run

run(
    name="registry", service_dir=SERVICE_DIR, settings_factory=RegistrySettings,
    app_factory="services.registry.app:create_app", default_port=8101, seeder=seed, worker=work,
)
