from services.catalog.app import SERVICE_DIR
from services.catalog.seed import seed
from services.catalog.settings import CatalogSettings
from shared.cli import run

# Regions and the 2018 hospitals are reference data loaded by the migrations; `seed` loads demo
# data, never a deployment's: the sample item catalog (data/items_sample.csv) and Tai'erzhuang's
# fixture hospitals (which no document lists).
run(
    name="catalog", service_dir=SERVICE_DIR, settings_factory=CatalogSettings,
    app_factory="services.catalog.app:create_app", default_port=8102, seeder=seed,
)
