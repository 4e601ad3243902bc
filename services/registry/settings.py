from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class RegistrySettings(ServiceSettings):
    """Environment: REGISTRY_DATABASE_URL, REGISTRY_JWT_SECRET, REGISTRY_LOG_LEVEL, ..."""

    model_config = SettingsConfigDict(env_prefix="REGISTRY_")
