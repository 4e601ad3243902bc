"""The hospital cache forgets a changed hospital at once, and a look-up that was in flight when it
did cannot put the old answer back."""

from datetime import date

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
