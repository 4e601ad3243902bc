from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import DatabaseSettings, PeerSettings


class SettlementSettings(DatabaseSettings, PeerSettings):
    """Environment: SETTLEMENT_DATABASE_URL, SETTLEMENT_JWT_SECRET, SETTLEMENT_REGISTRY_URL, ..."""

    model_config = SettingsConfigDict(env_prefix="SETTLEMENT_")

    database_url: str = "sqlite:///var/settlement.db"
    registry_url: str = Field(default="http://127.0.0.1:8101", description="registry service base URL")
    catalog_url: str = Field(default="http://127.0.0.1:8102", description="catalog service base URL")
    assistance_url: str = Field(default="http://127.0.0.1:8103", description="assistance service base URL")
