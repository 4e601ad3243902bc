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
    max_json_body_bytes: int = Field(
        default=16 * 1024 * 1024, ge=1024, description="a batch of 10,000 calculations fits",
    )
    calculation_batch_max_items: int = Field(
        default=10_000, ge=1, le=100_000, description="items one POST /v1/calculations:batch may hold",
    )
    policy_dir: Path = Field(
        default=Path(__file__).parent / "policies" / "data",
        description="folder of policy files (TOML)",
    )
