"""The hospital cache forgets a changed hospital at once, a look-up that was in flight when it did
cannot put the old answer back, and look-ups that miss together share one call."""

import asyncio
from datetime import date
from typing import Any

import pytest

from services.settlement.lookups import HospitalCache

DAY, NEXT = date(2026, 11, 30), date(2026, 12, 1)


def test_evicting_a_hospital_forgets_it_on_every_date_and_nothing_else() -> None:
    cache = HospitalCache()
    for key in [("990405001", DAY), ("990405001", NEXT), ("060001", DAY)]:
        cache.put(key, {"code": key[0]}, cache.evictions)
    cache.evict({"990405001"})
    assert cache.get(("990405001", DAY)) is None and cache.get(("990405001", NEXT)) is None
    assert cache.get(("060001", DAY)) == {"code": "060001"}


def test_an_answer_fetched_before_an_eviction_is_not_stored() -> None:
    cache = HospitalCache()
    seen = cache.evictions  # the look-up starts
    cache.evict({"990405001"})  # the agreement is suspended meanwhile
    cache.put(("990405001", DAY), {"designated": True}, seen)
    assert cache.get(("990405001", DAY)) is None
    cache.put(("990405001", DAY), {"designated": False}, cache.evictions)
    assert cache.get(("990405001", DAY)) == {"designated": False}


def test_clearing_forgets_everything() -> None:
    cache = HospitalCache()
    cache.put(("060001", DAY), {}, cache.evictions)
    cache.clear()
    assert cache.get(("060001", DAY)) is None


async def test_lookups_that_miss_together_share_one_call_and_its_failure() -> None:
    cache = HospitalCache()
    calls: list[str] = []
    answer = asyncio.Event()

    async def fetch() -> dict[str, Any]:
        calls.append("catalog")
        await answer.wait()
        return {"code": "060001"}

    waiting = [asyncio.ensure_future(cache.fetch_once(("060001", DAY), fetch)) for _ in range(10)]
    await asyncio.sleep(0)
    waiting[0].cancel()  # one settlement gives up: the others still get the answer
    answer.set()
    assert [await w for w in waiting[1:]] == [{"code": "060001"}] * 9
    assert calls == ["catalog"] and cache.get(("060001", DAY)) == {"code": "060001"}

    async def unknown() -> dict[str, Any]:
        calls.append("catalog")
        raise LookupError("hospital_unknown")

    cache.clear()
    results = await asyncio.gather(*(cache.fetch_once(("060001", DAY), unknown) for _ in range(3)),
                                   return_exceptions=True)
    assert [type(r) for r in results] == [LookupError] * 3 and calls == ["catalog"] * 2
    with pytest.raises(LookupError):  # nothing was kept: the next look-up asks again
        await cache.fetch_once(("060001", DAY), unknown)
    assert len(calls) == 3
