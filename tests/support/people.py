import random
from datetime import date, timedelta

from shared.id_number import check_digit


def new_id_number(region: str = "370602", born: date | None = None) -> str:
    """A valid, random ID number (so tests sharing a database never collide)."""
    born = born or date(1940, 1, 1) + timedelta(days=random.randrange(0, 365 * 80))
    first17 = f"{region}{born:%Y%m%d}{random.randrange(0, 1000):03d}"
    return first17 + check_digit(first17)
