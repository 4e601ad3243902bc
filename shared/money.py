"""Money: Decimal yuan with two places, rounded ROUND_HALF_UP, never float.

`Money` is the pydantic field type for amounts in requests and responses. It accepts JSON numbers
or strings ("1234.5", 1234.5) with at most two decimal places and serializes as a string ("1234.50")
so no client parses an amount through a binary float.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated

from pydantic import AfterValidator, Field

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def to_yuan(value: Decimal | int | str) -> Decimal:
    """Round an amount to the fen, half up (the rounding every fund amount gets)."""
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {value!r}") from exc
    if not amount.is_finite():
        raise ValueError(f"not a finite amount: {value!r}")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP) + 0  # + 0: no "-0.00"


Money = Annotated[
    Decimal,
    Field(max_digits=14, decimal_places=2, allow_inf_nan=False, examples=["1234.50"]),
    AfterValidator(to_yuan),
]
"""An amount in yuan (can be negative, e.g. a reversing ledger entry)."""

NonNegativeMoney = Annotated[Money, Field(ge=0, le=Decimal("9999999999.99"))]
"""An amount in yuan that cannot be below zero (every amount of a bill). Bounded to ten billion so
that sums of a few of them still fit the 14 digits of `Money` and of the database columns."""
