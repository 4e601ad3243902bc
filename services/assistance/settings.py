from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class AssistanceSettings(ServiceSettings):
    """Environment: ASSISTANCE_JWT_PUBLIC_KEYS, ASSISTANCE_POLICY_DIR, ... (no database: policies are
    files versioned in the repository)."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANCE_")

    allow_unverified: bool = Field(
        default=False,
        description="let placeholder figures (verified = false in a policy file) pay: demos and tests only",
    )
    policy_dir: Path = Field(
        default=Path(__file__).parent / "policies" / "data",
        description="folder of policy files (TOML)",
    )
