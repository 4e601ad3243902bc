from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import DatabaseSettings, PeerSettings


class RegistrySettings(DatabaseSettings, PeerSettings):
    """Environment: REGISTRY_DATABASE_URL, REGISTRY_JWT_PUBLIC_KEYS, REGISTRY_CATALOG_URL, ..."""

    model_config = SettingsConfigDict(env_prefix="REGISTRY_")

    database_url: str = "sqlite:///var/registry.db"
    catalog_url: str = Field(default="http://127.0.0.1:8102", description="catalog: the region codes lists use")
