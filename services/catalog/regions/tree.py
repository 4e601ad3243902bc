"""The region tree as pure functions over (code, parent_code) pairs."""

from collections.abc import Iterable, Mapping
from typing import Protocol


class RegionLike(Protocol):
    code: str
    parent_code: str | None


def ancestors(regions: Mapping[str, RegionLike], code: str) -> list[str]:
    """From the root down to the region's parent."""
    path: list[str] = []
    parent = regions[code].parent_code
    while parent is not None:
        path.append(parent)
        parent = regions[parent].parent_code
    return path[::-1]


def descendants(regions: Iterable[RegionLike], code: str) -> set[str]:
    """The region and every region below it."""
    children: dict[str, list[str]] = {}
    for region in regions:
        if region.parent_code is not None:
            children.setdefault(region.parent_code, []).append(region.code)
    found, stack = {code}, [code]
    while stack:
        for child in children.get(stack.pop(), []):
            found.add(child)
            stack.append(child)
    return found
