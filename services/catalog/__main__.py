from services.catalog.app import SERVICE_DIR
from services.catalog.items.sample import seed
from services.catalog.settings import CatalogSettings
from shared.cli import run

# Regions and hospitals are reference data loaded by the migrations; the seed step imports the
# sample item catalog (data/items_sample.csv), never loaded in a deployment.
run(
    name="catalog", service_dir=SERVICE_DIR, settings_factory=CatalogSettings,
    app_factory="services.catalog.app:create_app", default_port=8102, seeder=seed,
)
