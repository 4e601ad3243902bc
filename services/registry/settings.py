from pydantic_settings import SettingsConfigDict

from shared.settings import DatabaseSettings


class RegistrySettings(DatabaseSettings):
    """Environment: REGISTRY_DATABASE_URL, REGISTRY_JWT_SECRET, REGISTRY_LOG_LEVEL, ..."""

    model_config = SettingsConfigDict(env_prefix="REGISTRY_")

    database_url: str = "sqlite:///var/registry.db"
