"""Which hospitals look persons up far more often than they settle (pure)."""

from decimal import ROUND_HALF_UP, Decimal

from services.settlement.audit.schemas import HospitalLookups


def outliers(counts: dict[str, tuple[int, int]], min_ratio: Decimal) -> list[HospitalLookups]:
    """The hospitals whose look-ups exceed `min_ratio` times their settlements (every look-up of a
    hospital that settled nothing), by ratio, highest first. An admission and its settlement make two
    look-ups for one settlement: a ratio near 2 is a hospital's ordinary work."""
    found = [
        HospitalLookups(
            hospital_code=code, lookups=lookups, settlements=settled,
            ratio=(Decimal(lookups) / settled).quantize(Decimal("0.01"), ROUND_HALF_UP) if settled else None,
        )
        for code, (lookups, settled) in counts.items() if lookups > min_ratio * settled
    ]
    return sorted(found, key=lambda h: (h.ratio is not None, -(h.ratio or 0), -h.lookups, h.hospital_code))
