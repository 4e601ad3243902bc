"""The services settlement calls, one pooled client each, for the life of the app."""

from dataclasses import dataclass

from services.settlement.settings import SettlementSettings
from shared.auth import TokenCodec
from shared.http_client import ServiceClient, peer_client


@dataclass(frozen=True, slots=True)
class Peers:
    registry: ServiceClient
    catalog: ServiceClient
    assistance: ServiceClient

    @classmethod
    def from_settings(cls, settings: SettlementSettings, codec: TokenCodec) -> "Peers":
        def client(peer: str, url: str) -> ServiceClient:
            return peer_client(peer, url, settings, codec, caller="settlement")

        return cls(
            registry=client("registry", settings.registry_url),
            catalog=client("catalog", settings.catalog_url),
            assistance=client("assistance", settings.assistance_url),
        )

    def all(self) -> tuple[ServiceClient, ...]:
        return (self.registry, self.catalog, self.assistance)
