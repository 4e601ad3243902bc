"""All policies, loaded and validated once at start, and the choice of one for a settlement."""

import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from services.assistance.policies.catalog import PolicyInfo, load_index
from services.assistance.policies.model import Policy
from shared.regions import enclosing_regions

PER_ENTRY = ("assistance", "re_assistance", "excluded_causes")


def _merged(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """What the overriding file says replaces what the base says: a whole block, or in `assistance`,
    `re_assistance` and `excluded_causes` a whole entry (an identity's rule is read as written)."""
    merged = {**base, **override}
    for key in PER_ENTRY:
        if key in base and key in override:
            merged[key] = {**base[key], **override[key]}
    return merged


def _resolved(raw: dict[str, dict[str, Any]], policy_id: str, seen: tuple[str, ...] = ()) -> dict[str, Any]:
    """A policy's parameters with those of the policy it `extends` underneath."""
    if policy_id in seen:
        raise ValueError(f"policies extend each other in a cycle: {' → '.join((*seen, policy_id))}")
    own = raw[policy_id]
    parent = own.get("extends")
    if parent is None:
        return own
    if parent not in raw:
        raise ValueError(f"extends {parent!r}, which has no parameter file")
    return _merged({k: v for k, v in _resolved(raw, parent, (*seen, policy_id)).items() if k != "extends"}, own)


def _within(inner: PolicyInfo, outer: PolicyInfo) -> bool:
    ends_inside = outer.effective_until is None or (
        inner.effective_until is not None and inner.effective_until <= outer.effective_until)
    return outer.effective_from <= inner.effective_from and ends_inside


class NoPolicy(LookupError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class PolicyBook:
    index: list[PolicyInfo]
    parameters: dict[str, Policy]

    @classmethod
    def load(cls, policy_dir: Path) -> "PolicyBook":
        index = load_index(policy_dir)
        known = {p.id for p in index}
        raw: dict[str, dict[str, Any]] = {}
        for path in sorted(policy_dir.glob("*.toml")):
            if path.name == "index.toml":
                continue
            with path.open("rb") as f:
                try:
                    raw[path.stem] = tomllib.load(f)
                except tomllib.TOMLDecodeError as exc:
                    raise ValueError(f"{path.name}: {exc}") from exc
            if path.stem not in known or raw[path.stem].get("id") != path.stem:
                raise ValueError(f"{path.name}: its id must match the file name and an entry of index.toml")
        by_id = {p.id: p for p in index}
        parameters: dict[str, Policy] = {}
        for policy_id in raw:
            try:
                parameters[policy_id] = Policy.model_validate(
                    {**_resolved(raw, policy_id), "region_code": by_id[policy_id].region_code})
            except ValueError as exc:
                raise ValueError(f"{policy_id}.toml: {exc}") from exc
        missing = known - set(parameters)
        if missing:
            raise ValueError(f"index.toml lists policies without a parameter file: {sorted(missing)}")
        for policy_id, own in raw.items():
            parent = own.get("extends")
            if parent is not None and not _within(by_id[policy_id], by_id[parent]):
                raise ValueError(f"{policy_id} extends {parent} beyond {parent}'s dates")
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
                    return info, self.parameters[info.id]
        raise NoPolicy("no_policy", f"区划 {region_code} 在 {on} 无有效救助政策 (no policy in force)")
