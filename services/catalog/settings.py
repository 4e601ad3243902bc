from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import DatabaseSettings


class CatalogSettings(DatabaseSettings):
    """Environment: CATALOG_DATABASE_URL, CATALOG_JWT_PUBLIC_KEYS, CATALOG_LOG_LEVEL, ..."""

    model_config = SettingsConfigDict(env_prefix="CATALOG_")

    database_url: str = "sqlite:///var/catalog.db"
    max_csv_body_bytes: int = Field(
        default=32 * 1024 * 1024, ge=1024,
        description="largest item-catalog file (CSV or .xlsx; 413 beyond it): 100,000 entries are about 12 MB",
    )
