"""The services settlement calls, one pooled client each, for the life of the app."""

from dataclasses import dataclass, fields

from services.settlement.settings import SettlementSettings
from shared.http_client import ServiceClient, peer_client, service_tokens


@dataclass(frozen=True, slots=True)
class Peers:
    registry: ServiceClient
    catalog: ServiceClient
    assistance: ServiceClient

    @classmethod
    def from_settings(cls, settings: SettlementSettings) -> "Peers":
        tokens = service_tokens(settings, caller="settlement")

        def client(peer: str, url: str) -> ServiceClient:
            return peer_client(peer, url, settings, tokens)

        return cls(
            registry=client("registry", settings.registry_url),
            catalog=client("catalog", settings.catalog_url),
            assistance=client("assistance", settings.assistance_url),
        )

    def all(self) -> tuple[ServiceClient, ...]:
        return (self.registry, self.catalog, self.assistance)


NAMES = tuple(field.name for field in fields(Peers))  # each client's peer name: what Server-Timing names
