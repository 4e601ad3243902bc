"""All policies, loaded and validated once at start, and the choice of one for a settlement."""

import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from services.assistance.policies.catalog import PolicyInfo, load_index
from services.assistance.policies.model import Policy


class NoPolicy(LookupError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def enclosing_regions(region_code: str) -> list[str]:
    """The region, its city and its province (GB/T 2260 codes nest by prefix), most specific first."""
    chain = [region_code, region_code[:4] + "00", region_code[:2] + "0000"]
    return list(dict.fromkeys(chain))


@dataclass(frozen=True)
class PolicyBook:
    index: list[PolicyInfo]
    parameters: dict[str, Policy]

    @classmethod
    def load(cls, policy_dir: Path) -> "PolicyBook":
        index = load_index(policy_dir)
        known = {p.id for p in index}
        parameters: dict[str, Policy] = {}
        for path in sorted(policy_dir.glob("*.toml")):
            if path.name == "index.toml":
                continue
            with path.open("rb") as f:
                try:
                    policy = Policy.model_validate(tomllib.load(f))
                except ValueError as exc:
                    raise ValueError(f"{path.name}: {exc}") from exc
            if policy.id not in known or path.stem != policy.id:
                raise ValueError(f"{path.name}: id {policy.id!r} must match the file name and index.toml")
            parameters[policy.id] = policy
        for region in {p.region_code for p in index}:
            spans = sorted((p for p in index if p.region_code == region), key=lambda p: p.effective_from)
            for before, after in zip(spans, spans[1:], strict=False):
                if before.effective_until is None or before.effective_until >= after.effective_from:
                    raise ValueError(f"policies {before.id} and {after.id} overlap in region {region}")
        return cls(index, parameters)

    def select(self, region_code: str, on: date) -> tuple[PolicyInfo, Policy]:
        for region in enclosing_regions(region_code):
            for info in self.index:
                if info.region_code == region and info.in_force(on):
                    policy = self.parameters.get(info.id)
                    if policy is None:
                        raise NoPolicy(
                            "policy_not_implemented",
                            f"政策 {info.id} 的计算参数尚未配置 (parameters of {info.id} not loaded yet)",
                        )
                    return info, policy
        raise NoPolicy("no_policy", f"区划 {region_code} 在 {on} 无有效救助政策 (no policy in force)")
