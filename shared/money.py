"""Money: Decimal yuan with two places, rounded ROUND_HALF_UP, never float.

`Money` is the pydantic field type for amounts in requests and responses. It accepts JSON numbers
or strings ("1234.5", 1234.5) with at most two decimal places and serializes as a string ("1234.50")
so no client parses an amount through a binary float.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

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


_WHOLE_LIMIT = Decimal("1E12")  # 14 digits, two of them after the point


def _fen(value: Decimal) -> Decimal:
    """After pydantic has parsed a finite Decimal: at most 12 digits before the point and two after,
    kept to the fen. One Python call: pydantic's own max_digits/decimal_places checks cost twice
    as much, and every settlement validates a few hundred amounts across the services."""
    if not -_WHOLE_LIMIT < value < _WHOLE_LIMIT:
        raise PydanticCustomError(
            "decimal_whole_digits", "Decimal input should have no more than 12 digits before the decimal point",
            {"whole_digits": 12},
        )
    amount = to_yuan(value)
    if amount != value:
        raise PydanticCustomError(
            "decimal_max_places", "Decimal input should have no more than 2 decimal places", {"decimal_places": 2},
        )
    return amount


Money = Annotated[Decimal, Field(allow_inf_nan=False, examples=["1234.50"]), AfterValidator(_fen)]
"""An amount in yuan (can be negative, e.g. a reversing ledger entry)."""

MAX_AMOUNT = Decimal("9999999999.99")
"""The largest bill amount or year-to-date total: ten billion less a fen, so that sums of a few of
them still fit the 14 digits of `Money` and of the database columns."""

NonNegativeMoney = Annotated[Money, Field(ge=0, le=MAX_AMOUNT)]
"""An amount in yuan that cannot be below zero (every amount of a bill, every accumulator), at most
`MAX_AMOUNT`."""
