import pytest

from shared.errors import TooManyRequests
from shared.rate_limit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_then_the_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(2, 3, clock=clock)
    assert [limiter.retry_after("his-1") for _ in range(3)] == [0, 0, 0]
    assert limiter.retry_after("his-1") == pytest.approx(0.5)
    assert limiter.retry_after("his-2") == 0  # each key has its own bucket
    clock.now += 0.5
    assert limiter.retry_after("his-1") == 0
    assert limiter.retry_after("his-1") > 0


def test_check_raises_429_with_retry_after_in_whole_seconds() -> None:
    clock = Clock()
    limiter = RateLimiter(0.1, 1, clock=clock)
    limiter.check("k", detail="too many")
    with pytest.raises(TooManyRequests) as refused:
        limiter.check("k", detail="too many", code="lookup_rate_limited")
    assert refused.value.status == 429
    assert refused.value.code == "lookup_rate_limited"
    assert refused.value.headers == {"Retry-After": "10"}


def test_memory_is_bounded() -> None:
    clock = Clock()
    limiter = RateLimiter(1, 1, clock=clock)
    limiter.MAX_KEYS = 10
    for i in range(25):
        limiter.retry_after(f"k{i}")
    assert len(limiter._buckets) <= 10
