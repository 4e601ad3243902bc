"""The one settings pattern: a typed pydantic-settings object per service, one env prefix each.

`RegistrySettings()` reads REGISTRY_DATABASE_URL, REGISTRY_JWT_SECRET, ... Nothing is read at
import time: an app factory takes a settings object, so a test builds one with the URL it has.
"""

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    jwt_secret: SecretStr = Field(description="HMAC key that signs and checks bearer tokens")
    jwt_issuer: str = "assistance-platform"
    log_level: str = "INFO"
    log_json: bool = True


class DatabaseSettings(ServiceSettings):
    """A service that owns a database."""

    database_url: str = Field(
        default="sqlite:///var/service.db",
        description="postgresql://user@host:5432/db or sqlite:///path (embedded default)",
    )
    db_pool_size: int = Field(default=10, ge=1, le=200)


class PeerSettings(BaseSettings):
    """Mixed into the settings of a service that calls others (settlement)."""

    service_token: SecretStr | None = Field(
        default=None, description="bearer token (role service) for calls to peers; minted if empty"
    )
    peer_timeout_seconds: float = Field(default=2.0, gt=0, le=60)
    peer_retries: int = Field(default=2, ge=0, le=5)
