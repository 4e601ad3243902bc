from pydantic_settings import SettingsConfigDict

from shared.settings import DatabaseSettings


class CatalogSettings(DatabaseSettings):
    """Environment: CATALOG_DATABASE_URL, CATALOG_JWT_PUBLIC_KEYS, CATALOG_LOG_LEVEL, ..."""

    model_config = SettingsConfigDict(env_prefix="CATALOG_")

    database_url: str = "sqlite:///var/catalog.db"
