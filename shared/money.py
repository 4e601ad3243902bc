"""Money: Decimal yuan with two places, rounded ROUND_HALF_UP, never float.

`Money` is the pydantic field type for amounts in requests and responses. It accepts JSON numbers
or strings ("1234.5", 1234.5) with at most two decimal places and serializes as a string ("1234.50")
so no client parses an amount through a binary float.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import Field, ValidatorFunctionWrapHandler, WrapValidator
from pydantic_core import PydanticCustomError, PydanticKnownError

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
    # + 0: no "-0.00". The rounding by position: as a keyword it cost a tenth of a µs more per amount.
    return amount.quantize(CENT, ROUND_HALF_UP) + 0


_WHOLE_LIMIT = Decimal("1E12")  # 14 digits, two of them after the point


def _amount(value: Any, parse: ValidatorFunctionWrapHandler) -> Decimal:
    """A finite Decimal written in ASCII digits, at most 12 digits before the point and two after,
    kept to the fen. One Python call: pydantic's own max_digits/decimal_places checks cost twice
    as much, and every settlement validates a few hundred amounts across the services."""
    # Decimal() also reads "１００" (full-width), "1_000" and other scripts' digits: an amount must be
    # written as every other system reads it.
    if type(value) is str and (not value.isascii() or "_" in value):
        raise PydanticCustomError(
            "decimal_ascii_digits", "金额只能用半角数字 0-9 书写 (an amount is written in ASCII digits 0-9 only)",
        )
    value = parse(value)  # a finite Decimal
    if not -_WHOLE_LIMIT < value < _WHOLE_LIMIT:
        raise PydanticCustomError(
            "decimal_whole_digits", "金额整数部分至多 12 位 (an amount has at most 12 digits before the point)",
            {"whole_digits": 12},
        )
    amount = value.quantize(CENT, ROUND_HALF_UP) + 0  # to_yuan, inlined: a call less per amount
    if amount != value:
        raise PydanticCustomError(
            "decimal_max_places", "金额至多两位小数，即到分 (an amount has at most 2 decimal places, to the fen)",
            {"decimal_places": 2},
        )
    return amount


Money = Annotated[Decimal, Field(allow_inf_nan=False, examples=["1234.50"]), WrapValidator(_amount)]
"""An amount in yuan (can be negative, e.g. a reversing ledger entry)."""

MAX_AMOUNT = Decimal("9999999999.99")
"""The largest bill amount or year-to-date total: ten billion less a fen, so that sums of a few of
them still fit the 14 digits of `Money` and of the database columns."""


def _non_negative_amount(value: Any, parse: ValidatorFunctionWrapHandler) -> Decimal:
    """`_amount`, then the range with pydantic's own ge=0 and le=MAX_AMOUNT errors, word for word:
    Field(ge, le) on `Money` ran as two Python validators more (a validator wrapped in Python keeps
    them out of pydantic's core), which doubled the cost of each amount of a calculation request."""
    amount = _amount(value, parse)
    if amount < 0:
        raise PydanticKnownError("greater_than_equal", {"ge": 0})
    if amount > MAX_AMOUNT:
        raise PydanticKnownError("less_than_equal", {"le": repr(MAX_AMOUNT)})  # word for word as pydantic's
    return amount


NonNegativeMoney = Annotated[Decimal, Field(allow_inf_nan=False, examples=["1234.50"], json_schema_extra={
    "ge": 0, "le": str(MAX_AMOUNT)}), WrapValidator(_non_negative_amount)]  # the documented schema as before
"""An amount in yuan that cannot be below zero (every amount of a bill, every accumulator), at most
`MAX_AMOUNT`."""

PositiveMoney = Annotated[Money, Field(gt=0, le=MAX_AMOUNT)]
"""An amount in yuan above zero (a transfer recorded: a pre-funding, a payment), at most `MAX_AMOUNT`."""
