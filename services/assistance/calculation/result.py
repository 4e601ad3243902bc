"""What the chain gives back: plain data, no validation on the way out (the API turns it into the
`shared.contracts.calculation.CalculationResult` its callers read, field for field)."""

from dataclasses import dataclass
from decimal import Decimal

from shared.categories import Category
from shared.contracts.calculation import IllnessPovertyGrant, YearToDate


@dataclass(slots=True)
class Step:
    """One line of the trace: the rule, what it worked on and what it paid."""

    rule: str
    label: str
    amount: Decimal
    base: Decimal | None = None
    threshold: Decimal | None = None
    ratio: Decimal | None = None
    cap_remaining: Decimal | None = None
    accumulator_before: Decimal | None = None
    accumulator_after: Decimal | None = None
    source: str | None = None


@dataclass(slots=True, frozen=True)
class Alternative:
    identity: Category
    assistance_total: Decimal


@dataclass(slots=True)
class Calculation:
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
