"""The one rate limiter: token buckets keyed by caller (a token's subject, a hospital code).

A key may spend `burst` requests at once and earns `rate_per_second` back. Each process keeps its
own buckets: with N replicas behind a load balancer a caller gets up to N times the rate, which a
deployment sets its figures for (the limits protect a service from a runaway client; they are not
a quota ledger).
"""

import math
import time
from collections.abc import Callable

from shared.errors import TooManyRequests


class RateLimiter:
    MAX_KEYS = 100_000  # a bound on memory: full buckets are dropped first, then all

    def __init__(self, rate_per_second: float, burst: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        if rate_per_second <= 0 or burst < 1:
            raise ValueError("a rate limit needs a positive rate and a burst of at least 1")
        self.rate = rate_per_second
        self.burst = burst
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key → (tokens, at)

    def retry_after(self, key: str) -> float:
        """Take one request for `key`: 0 when allowed, else the seconds until one would be."""
        now = self._clock()
        tokens, at = self._buckets.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) * self.rate)
        if tokens >= 1:
            if len(self._buckets) >= self.MAX_KEYS and key not in self._buckets:
                self._forget_full(now)
            self._buckets[key] = (tokens - 1, now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (1 - tokens) / self.rate

    def check(self, key: str, *, detail: str, code: str = "rate_limited") -> None:
        """Raise 429 (with Retry-After in whole seconds) when `key` is over its limit."""
        wait = self.retry_after(key)
        if wait > 0:
            raise TooManyRequests(detail, code=code, retry_after=max(1, math.ceil(wait)))

    def _forget_full(self, now: float) -> None:
        self._buckets = {
            key: (tokens, at) for key, (tokens, at) in self._buckets.items()
            if tokens + (now - at) * self.rate < self.burst
        }
        if len(self._buckets) >= self.MAX_KEYS:
            self._buckets.clear()
