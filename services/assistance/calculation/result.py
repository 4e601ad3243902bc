"""What the chain gives back: plain data, no validation on the way out. A single calculation is turned
into the `shared.contracts.calculation.CalculationResult` its callers read, field for field; a batch is
written as that contract's JSON straight from this data (`JSON`). msgspec Structs: a trace has about ten
lines, each made in a fifth of a dataclass's time and written faster."""

from decimal import Decimal
from typing import Any

import msgspec
from pydantic import BaseModel

from shared.categories import Category
from shared.contracts.calculation import IllnessPovertyGrant, YearToDate


class Step(msgspec.Struct, kw_only=True, gc=False):  # gc=False: it holds only strings and amounts
    """One line of the trace: the rule, what it worked on and what it paid."""

    rule: str
    label: str
    base: Decimal | None = None
    threshold: Decimal | None = None
    ratio: Decimal | None = None
    cap_remaining: Decimal | None = None
    accumulator_before: Decimal | None = None
    accumulator_after: Decimal | None = None
    amount: Decimal
    source: str | None = None


class Alternative(msgspec.Struct, frozen=True, gc=False):
    identity: Category
    assistance_total: Decimal


class Calculation(msgspec.Struct):
    policy_id: str
    identity_applied: Category | None
    reason: str | None
    policy_range: Decimal
    basic_insurance: Decimal
    basic_insurance_source: str
    large_expense_source: str | None
    critical_illness: Decimal
    special_drugs: Decimal
    large_expense: Decimal
    other_payments: Decimal
    assistance: Decimal
    re_assistance: Decimal
    personal_share: Decimal
    year_to_date_after: YearToDate
    illness_poverty_grant_after: IllnessPovertyGrant | None
    annual_caps: dict[str, Decimal]
    alternatives: list[Alternative]
    trace: list[Step]
    unverified_parameters: list[str]


def _fields(model: BaseModel) -> dict[str, Any]:
    return model.__dict__


JSON = msgspec.json.Encoder(enc_hook=_fields)
"""Writes a `Calculation` (and what holds it) as `CalculationResult`'s JSON, byte for byte, without
validating it into the contract first (for 10,000 results of a batch that took longer than computing
them): these classes have its fields in its order, every amount is already in fen, and the contract's
own models inside (YearToDate, IllnessPovertyGrant) are written field by field.
`test_properties.test_the_json_written_is_the_contracts` holds them to it."""
