"""What settlement asks its peers before it writes anything: who the patient is on a date and
whether the hospital is designated. Both calls happen outside any transaction.

A hospital's look-ups of persons are limited (`allow_lookup`) and audited (audit.models): a HIS
could otherwise read anyone's assistance identities by posting admissions or settlements."""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from services.settlement.peers import Peers
from shared.categories import Category, InsuranceType
from shared.contracts.calculation import CalculationRequest, IllnessPovertyGrant
from shared.contracts.hospitals import ensure_designated, fetch_hospital, fetch_hospital_changes
from shared.errors import Unprocessable
from shared.http_client import RemoteProblem, ServiceClient
from shared.rate_limit import RateLimiter
from shared.regions import inside, same_pool

log = logging.getLogger("settlement.lookups")


@dataclass(frozen=True)
class Patient:
    identities: list[Category]
    reason: str | None  # why no identity can apply, when the registry says so
    region_code: str | None = None  # where the person is registered: picks the assistance policy
    illness_poverty_window: tuple[date, date] | None = None  # the grant: first day, first day after
    insurance_type: InsuranceType | None = None  # as the registry has it on the date, if it knows
    # the out-of-region filings in force on the date: (destination region, hospital or None)
    out_of_region_cover: tuple[tuple[str, str | None], ...] = ()
    chronic_hospitals: frozenset[str] = frozenset()  # where a chronic filing gives benefits on the date
    registered: bool = True  # False: the registry has no such person

    def grant(self, assistance_base: Decimal, assistance_paid: Decimal) -> IllnessPovertyGrant:
        """The calculation's view of the person's illness-poverty grant (its last day, not the first
        day after), with what it has counted and paid so far."""
        assert self.illness_poverty_window is not None
        window_from, first_day_after = self.illness_poverty_window
        return IllnessPovertyGrant(window_from=window_from, window_until=first_day_after - timedelta(days=1),
                                   assistance_base=assistance_base, assistance_paid=assistance_paid)


def _grant_window(identities: list[dict[str, Any]]) -> tuple[date, date] | None:
    for identity in identities:
        if identity["category"] == Category.ILLNESS_POVERTY and identity["effective_until"]:
            return date.fromisoformat(identity["effective_from"]), date.fromisoformat(identity["effective_until"])
    return None


# Before settlement says it is ready it makes one call of each kind a settlement makes, whose answers
# nobody keeps, so the peers' first requests (their token checks, statements and code paths) are not
# a patient's: a person no one is (born 1900-01-01), the catalog's first hospital, and the calculation
# the contract documents as its example.
_WARM_UP_PERSON = "110101190001010014"
_WARM_UP_CALCULATION = CalculationRequest.model_config["json_schema_extra"]["examples"][0]  # type: ignore[index]


async def _warm_catalog(catalog: ServiceClient, today: date) -> None:
    for hospital in (await catalog.get("/v1/hospitals", params={"limit": "1"}))["items"]:
        await fetch_hospital(catalog, hospital["code"], today)


async def warm(peers: Peers) -> None:
    today = date.today()
    answers = await asyncio.gather(
        patient(peers, _WARM_UP_PERSON, today), _warm_catalog(peers.catalog, today),
        peers.assistance.post("/v1/calculations", _WARM_UP_CALCULATION, idempotent=True),
        return_exceptions=True,
    )
    failures = [type(answer).__name__ for answer in answers if isinstance(answer, Exception)]
    if failures:
        log.warning("peers not warmed at start (%s); the first settlements will warm them", ", ".join(failures))


LOOKUP_LIMITED = "本院查询参保人身份过于频繁，请稍后重试 (this hospital looks persons up too often; retry later)"


def allow_lookup(limiter: RateLimiter, hospital_code: str) -> None:
    """429 lookup_rate_limited when the hospital looks persons up faster than its limit."""
    limiter.check(hospital_code, code="lookup_rate_limited", detail=LOOKUP_LIMITED)


async def patient(peers: Peers, id_number: str, on: date) -> Patient:
    try:
        eligibility = await peers.registry.get(f"/v1/persons/{id_number}/eligibility", params={"on": on.isoformat()})
    except RemoteProblem as exc:
        if exc.remote_code == "person_not_found":
            return NOT_REGISTERED
        raise
    return patient_from(eligibility)


NOT_REGISTERED = Patient([], "救助对象登记中无此人，仅按医保结算 (not in the registry: insurance only)",
                         registered=False)


def patient_from(eligibility: dict[str, Any]) -> Patient:
    """The registry's eligibility answer (one person on one date) as settlement uses it."""
    insurance_type = InsuranceType(eligibility["insurance_type"]) if eligibility["insurance_type"] else None
    chronic_hospitals = frozenset(f["hospital_code"] for f in eligibility["chronic_filings"])
    if not eligibility["insured"]:
        return Patient([], "当日未参保，无救助 (not insured on that date)", eligibility["region_code"],
                       insurance_type=insurance_type, chronic_hospitals=chronic_hospitals)
    return Patient([Category(i["category"]) for i in eligibility["identities"]], None, eligibility["region_code"],
                   _grant_window(eligibility["identities"]), insurance_type,
                   tuple((f["destination_region_code"], f["hospital_code"])
                         for f in eligibility["out_of_region_filings"]), chronic_hospitals)


# 003 9.1 and 6.3: care that could not be settled one-stop is claimed by hand at the person's office.
MANUAL_CLAIM = {
    "claim": "医疗救助对象手工（零星）报销",
    "insurance_claim": "未按规定办理异地就医登记备案手续费用手工报销",
    "source": "烟台市医疗保障局《烟台市统一医疗保障经办服务办事指南（试行）》（2020-08）",
    "where": "参保地医保服务大厅业务窗口 (the insurance office of the person's region)",
}
NOT_FILED = ("异地就医未备案（或备案不含该医院），不能一站式结算；可回参保地申请医疗救助手工（零星）报销"
             " (out-of-region care without a filing in force for this hospital: no one-stop settlement; the person"
             " can claim by hand at their own office)")


def ensure_filed_if_out_of_region(patient: Patient, hospital_code: str, hospital_region_code: str) -> None:
    """Outside the person's city (their insurance pool, docs/rules.md §12) one-stop settlement needs an
    out-of-region filing in force covering the hospital: a referral's or an emergency's hospital,
    any hospital of a residence filing's region. A person the registry does not know has no region."""
    if patient.region_code is None or same_pool(patient.region_code, hospital_region_code):
        return
    if any(hospital_code == filed_hospital if filed_hospital is not None else inside(hospital_region_code, region)
           for region, filed_hospital in patient.out_of_region_cover):
        return
    raise Unprocessable(
        NOT_FILED, code="out_of_region_not_filed",
        extra={"person_region_code": patient.region_code, "hospital_region_code": hospital_region_code,
               "manual_claim": MANUAL_CLAIM},
    )


class HospitalCache:
    """Hospital look-ups for a minute, evicted within about a second of a change in the catalog
    (`follow_hospital_changes`): every settlement of a hospital asks the same question, and the
    answer changes only when ops change the hospital or its agreements. The TTL is the backstop
    should the catalog's change sequence be unreachable for a while."""

    def __init__(self, ttl_seconds: float = 60, max_entries: int = 10_000) -> None:
        self._ttl, self._max = ttl_seconds, max_entries
        self._entries: dict[tuple[str, date], tuple[float, dict[str, Any]]] = {}
        self._in_flight: dict[tuple[str, date], asyncio.Future[dict[str, Any]]] = {}
        self.evictions = 0  # a look-up that began before an eviction must not store its stale answer

    async def fetch_once(
        self, key: tuple[str, date], fetch: Callable[[], Awaitable[dict[str, Any]]],
    ) -> dict[str, Any]:
        """The look-ups of one hospital and day that miss the cache together (after a start, or when
        the entry expires under load) share one call to the catalog instead of each making its own."""
        in_flight = self._in_flight.get(key)
        if in_flight is None:
            in_flight = self._in_flight[key] = asyncio.ensure_future(self._fetch(key, fetch))
        return await asyncio.shield(in_flight)  # a caller giving up (its deadline) leaves it to the others

    async def _fetch(self, key: tuple[str, date], fetch: Callable[[], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
        evictions_seen = self.evictions
        try:
            hospital = await fetch()
        finally:
            del self._in_flight[key]
        self.put(key, hospital, evictions_seen)
        return hospital

    def get(self, key: tuple[str, date]) -> dict[str, Any] | None:
        entry = self._entries.get(key)
        return entry[1] if entry is not None and entry[0] > time.monotonic() else None

    def put(self, key: tuple[str, date], hospital: dict[str, Any], evictions_seen: int) -> None:
        if evictions_seen != self.evictions:
            return
        if len(self._entries) >= self._max:
            self._entries.clear()
        self._entries[key] = (time.monotonic() + self._ttl, hospital)

    def evict(self, hospital_codes: Collection[str]) -> None:
        self.evictions += 1
        for key in [key for key in self._entries if key[0] in hospital_codes]:
            del self._entries[key]

    def clear(self) -> None:
        self.evictions += 1
        self._entries.clear()


async def designated_hospital(
    peers: Peers, hospital_code: str, on: date, cache: HospitalCache | None = None,
) -> dict[str, Any]:
    if cache is None:
        return ensure_designated(await fetch_hospital(peers.catalog, hospital_code, on))
    key = (hospital_code, on)
    hospital = cache.get(key) or await cache.fetch_once(key, lambda: fetch_hospital(peers.catalog, hospital_code, on))
    return ensure_designated(hospital)


async def follow_hospital_changes(catalog: ServiceClient, cache: HospitalCache, interval_seconds: float) -> None:
    """Every `interval_seconds`, ask the catalog what changed after the last change seen and evict
    those hospitals (one small request; none of it on the settlement path). Runs until cancelled;
    a failed poll is logged once and retried, the cache's TTL covering meanwhile."""
    last_seq: int | None = None
    failing = False
    while True:
        try:
            page = await fetch_hospital_changes(catalog, last_seq)
            if last_seq is None or page["last_seq"] < last_seq:
                # Starting (what was cached before the first answer may have changed unseen), or the
                # catalog's database was replaced: forget everything once.
                cache.clear()
            elif page["items"]:
                cache.evict({change["hospital_code"] for change in page["items"]})
            last_seq = page["last_seq"]
            if failing:
                log.info("hospital changes: following again from %s", last_seq)
            failing = False
        except Exception as exc:  # a poll that fails is tried again (cancelling is no Exception)
            if not failing:
                log.warning("hospital changes: poll failed (%s); cached hospitals expire by TTL meanwhile",
                            type(exc).__name__)
            failing = True
        await asyncio.sleep(interval_seconds)
