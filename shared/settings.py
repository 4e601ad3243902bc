"""The one settings pattern: a typed pydantic-settings object per service, one env prefix each.

`RegistrySettings()` reads REGISTRY_DATABASE_URL, REGISTRY_JWT_PUBLIC_KEYS, ... Nothing is read at
import time: an app factory takes a settings object, so a test builds one with the URL it has.
"""

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    jwt_public_keys: str = Field(
        description="the token issuer's ES256 public keys, trusted for every role: PEM text (several"
        " blocks allowed) or comma-separated paths of PEM files; two during a key rotation",
    )
    jwt_service_public_keys: str = Field(
        default="",
        description="public keys of the services that call this one (PEM text or paths), trusted for"
        " role service only",
    )
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


class PeerSettings(ServiceSettings):
    """Mixed into the settings of a service that calls others (registry, settlement)."""

    service_signing_key: SecretStr = Field(
        description="this service's own ES256 private key (PEM text or a file's path) signing its"
        " service tokens to peers; never the issuer's key",
    )
    peer_timeout_seconds: float = Field(default=2.0, gt=0, le=60)
    peer_retries: int = Field(default=2, ge=0, le=5)
