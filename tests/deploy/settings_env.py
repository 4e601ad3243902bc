"""The environment variables each service reads, from its settings class: a manifest that sets a
name no service reads (a typo) is caught by the tests of deploy/."""

from pydantic_settings import BaseSettings

from services.assistance.settings import AssistanceSettings
from services.catalog.settings import CatalogSettings
from services.registry.settings import RegistrySettings
from services.settlement.settings import SettlementSettings

SETTINGS: dict[str, type[BaseSettings]] = {
    "registry": RegistrySettings, "catalog": CatalogSettings,
    "assistance": AssistanceSettings, "settlement": SettlementSettings,
}


def variables(service: str) -> set[str]:
    settings = SETTINGS[service]
    prefix = settings.model_config["env_prefix"]
    return {f"{prefix}{name}".upper() for name in settings.model_fields}


def unknown_variables(service: str, names: set[str]) -> set[str]:
    return names - variables(service)
