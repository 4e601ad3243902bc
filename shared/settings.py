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

    # The edge (shared.edge): limits checked before a body is parsed or a token is checked.
    max_json_body_bytes: int = Field(
        default=1024 * 1024, ge=1024, description="largest request body that is not CSV (413 beyond it)",
    )
    max_csv_body_bytes: int = Field(
        default=1024 * 1024, ge=1024,
        description="largest text/csv or .xlsx request body (list and catalog imports; 413 beyond it)",
    )
    metrics_port: int | None = Field(
        default=None, ge=1, le=65535,
        description="serve /metrics on this port of the same process, without a token; when unset, "
        "/metrics on the service port needs an ops or service token",
    )
    metrics_host: str = Field(default="127.0.0.1", description="address the metrics port listens on")
    otlp_endpoint: str | None = Field(
        default=None,
        description="base URL of an OpenTelemetry OTLP/HTTP receiver (http://collector:4318): traces of requests,"
        " peer calls and database statements are sent there; unset (the default): no tracing at all",
    )
    shutdown_grace_seconds: int = Field(
        default=35, ge=0, le=600,
        description="on SIGTERM the process stops accepting connections and lets the requests in flight "
        "finish for up to this long, then cancels them (a settlement cancelled so gives its serial back); "
        "above the settlement deadline, below Kubernetes' terminationGracePeriodSeconds",
    )
    # Requests a token may make: rate per second and burst, per role; 0 turns a role's limit off.
    rate_limit_his_per_second: float = Field(default=50, ge=0)
    rate_limit_his_burst: int = Field(default=100, ge=0)
    rate_limit_agency_per_second: float = Field(default=20, ge=0)
    rate_limit_agency_burst: int = Field(default=50, ge=0)
    rate_limit_ops_per_second: float = Field(default=50, ge=0)
    rate_limit_ops_burst: int = Field(default=100, ge=0)
    rate_limit_service_per_second: float = Field(default=0, ge=0)
    rate_limit_service_burst: int = Field(default=0, ge=0)


class DatabaseSettings(ServiceSettings):
    """A service that owns a database."""

    database_url: str = Field(
        default="sqlite:///var/service.db",
        description="postgresql://user@host:5432/db or sqlite:///path (embedded default)",
    )
    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_pool_warm: int | None = Field(
        default=None, ge=0, le=200,
        description="connections opened before the service says it is ready; unset: the whole pool (db_pool_size)",
    )


class PeerSettings(ServiceSettings):
    """Mixed into the settings of a service that calls others (registry, settlement)."""

    service_signing_key: SecretStr = Field(
        description="this service's own ES256 private key (PEM text or a file's path) signing its"
        " service tokens to peers; never the issuer's key",
    )
    peer_timeout_seconds: float = Field(default=2.0, gt=0, le=60)
    peer_retries: int = Field(default=2, ge=0, le=5)


class ChangeFeedSettings(DatabaseSettings):
    """A service that keeps a change feed (shared.outbox) and runs a worker (`python -m services.<name>
    worker`): the peers' feeds it consumes, the broker it relays its own feed to."""

    broker_url: SecretStr | None = Field(
        default=None,
        description="amqp://user:password@host:5672/ : the worker relays this service's change feed to RabbitMQ;"
        " unset (the default): no relay, the feed is read over HTTP only",
    )
    relay_batch: int = Field(default=500, ge=1, le=5000, description="events published per broker round")
    relay_poll_seconds: float = Field(default=1, gt=0, le=60, description="how often the relay looks for new events")
    changes_batch: int = Field(default=500, ge=1, le=1000, description="events a consumer takes from a peer's feed")
    changes_poll_seconds: float = Field(default=1, gt=0, le=60, description="how often a consumer asks a peer's feed")
    lag_metrics_refresh_seconds: float = Field(
        default=30, gt=0, le=3600,
        description="how often the service recomputes its outbox and feed lag gauges (and settlement its past-due"
        " claims gauge) for /metrics",
    )
