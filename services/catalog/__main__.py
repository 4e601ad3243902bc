from services.catalog.app import SERVICE_DIR
from services.catalog.settings import CatalogSettings
from shared.cli import run

# Regions and hospitals are reference data loaded by the migrations: no separate seed step.
run(
    name="catalog", service_dir=SERVICE_DIR, settings_factory=CatalogSettings,
    app_factory="services.catalog.app:create_app", default_port=8102,
)
