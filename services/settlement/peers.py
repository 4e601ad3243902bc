"""The services settlement calls, one pooled client each, for the life of the app."""

from dataclasses import dataclass

from services.settlement.settings import SettlementSettings
from shared.auth import ServiceTokens, TokenCodec
from shared.http_client import ServiceClient


@dataclass(frozen=True, slots=True)
class Peers:
    registry: ServiceClient
    catalog: ServiceClient
    assistance: ServiceClient

    @classmethod
    def from_settings(cls, settings: SettlementSettings, codec: TokenCodec) -> "Peers":
        token: str | ServiceTokens = (
            settings.service_token.get_secret_value() if settings.service_token
            else ServiceTokens(codec, subject="settlement")
        )

        def client(peer: str, url: str) -> ServiceClient:
            return ServiceClient(
                peer, url, token=token, timeout_seconds=settings.peer_timeout_seconds,
                retries=settings.peer_retries,
            )

        return cls(
            registry=client("registry", settings.registry_url),
            catalog=client("catalog", settings.catalog_url),
            assistance=client("assistance", settings.assistance_url),
        )

    def all(self) -> tuple[ServiceClient, ...]:
        return (self.registry, self.catalog, self.assistance)
