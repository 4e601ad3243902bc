from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ChangeFeedSettings, PeerSettings


class RegistrySettings(ChangeFeedSettings, PeerSettings):
    """Environment: REGISTRY_DATABASE_URL, REGISTRY_JWT_PUBLIC_KEYS, REGISTRY_CATALOG_URL, ..."""

    model_config = SettingsConfigDict(env_prefix="REGISTRY_")

    database_url: str = "sqlite:///var/registry.db"
    # List imports: up to 300,000 rows, as JSON or as CSV.
    max_json_body_bytes: int = Field(default=48 * 1024 * 1024, ge=1024, description="a JSON list of 300,000 rows fits")
    max_csv_body_bytes: int = Field(default=64 * 1024 * 1024, ge=1024, description="a CSV list of 300,000 rows fits")
    catalog_url: str = Field(default="http://127.0.0.1:8102", description="catalog: the region codes lists use")
