"""Which region codes exist: the catalog owns the region tree; the registry asks it when a list
arrives (and keeps the answer for ten minutes: the tree changes by notice, not by the minute)."""

import time
from typing import Any

from shared.http_client import ServiceClient


class RegionDirectory:
    def __init__(self, catalog: ServiceClient, ttl_seconds: float = 600) -> None:
        self._catalog, self._ttl = catalog, ttl_seconds
        self._codes: set[str] = set()
        self._fetched_at = float("-inf")

    async def codes(self) -> set[str]:
        if time.monotonic() - self._fetched_at > self._ttl:
            tree = await self._catalog.get("/v1/regions")
            self._codes = set(_flatten(tree))
            self._fetched_at = time.monotonic()
        return self._codes


def _flatten(nodes: list[dict[str, Any]]) -> list[str]:
    return [code for node in nodes for code in (node["code"], *_flatten(node.get("children", [])))]
