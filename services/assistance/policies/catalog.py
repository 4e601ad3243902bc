"""The policy index, read once at start; an invalid file stops the service from starting."""

import tomllib
from datetime import date
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator


class PolicyInfo(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9-]+$")
    name: str
    region_code: str = Field(pattern=r"^[0-9]{6}$")
    effective_from: date
    effective_until: date | None = Field(default=None, description="末日（含） (last day, inclusive)")
    source: str = Field(description="依据文件与段落 (source document and paragraph)")

    @model_validator(mode="after")
    def _ordered(self) -> "PolicyInfo":
        if self.effective_until is not None and self.effective_until < self.effective_from:
            raise ValueError(f"{self.id}: effective_until is before effective_from")
        return self

    def in_force(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_until is None or on <= self.effective_until)


class _Index(BaseModel):
    model_config = ConfigDict(extra="forbid")
    policy: list[PolicyInfo]


def load_index(policy_dir: Path) -> list[PolicyInfo]:
    with (policy_dir / "index.toml").open("rb") as f:
        policies = _Index.model_validate(tomllib.load(f)).policy
    ids = [p.id for p in policies]
    if len(ids) != len(set(ids)):
        raise ValueError("policy ids must be unique")
    return policies
