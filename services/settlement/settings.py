from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.categories import Category
from shared.settings import DatabaseSettings, PeerSettings


class SettlementSettings(DatabaseSettings, PeerSettings):
    """Environment: SETTLEMENT_DATABASE_URL, SETTLEMENT_JWT_PUBLIC_KEYS, SETTLEMENT_REGISTRY_URL, ..."""

    model_config = SettingsConfigDict(env_prefix="SETTLEMENT_")

    database_url: str = "sqlite:///var/settlement.db"
    registry_url: str = Field(default="http://127.0.0.1:8101", description="registry service base URL")
    catalog_url: str = Field(default="http://127.0.0.1:8102", description="catalog service base URL")
    assistance_url: str = Field(default="http://127.0.0.1:8103", description="assistance service base URL")
    treat_first_pay_later: list[Category] = Field(
        default=[Category.EXTREME_POVERTY, Category.MINIMUM_ALLOWANCE, Category.RETURNED_TO_POVERTY],
        description="先诊疗后付费：入院免交押金的身份 (004 §四(十)) (identities admitted without deposit)",
    )
