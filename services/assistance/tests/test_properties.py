"""Properties of the chain over random bills and random sequences of settlements, under every
policy: no amount below zero, funds + personal share = total to the fen, no cap ever exceeded, a
bill split into two settlements never paid more than the bill whole; and a malformed request
always gets a 4xx problem."""

import asyncio
from datetime import date
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import JWT_SECRET, asgi_client
from services.assistance.app import create_app
from services.assistance.calculation.chain import calculate
from services.assistance.policies.model import Policy
from services.assistance.settings import AssistanceSettings
from services.assistance.tests.test_cases import BOOK
from shared.auth import Role, TokenCodec
from shared.categories import InsuranceType
from shared.contracts.calculation import Bill, CalculationRequest, CalculationResult, YearToDate

WHERE_AND_WHEN = {  # one region and date inside each policy
    "yantai-2023": ("370602", date(2023, 6, 1)),
    "yantai-2018": ("370602", date(2020, 6, 1)),
    "yantai-2018-development-zone": ("370672", date(2020, 6, 1)),
    "taierzhuang-2017": ("370405", date(2019, 6, 1)),
}
FUNDS = ("basic_insurance", "critical_illness", "special_drugs", "large_expense", "other_payments", "assistance",
         "re_assistance")
POOL_ACCUMULATOR = {
    "all": "assistance_paid", "inpatient": "assistance_paid_inpatient",
    "outpatient": "assistance_paid_outpatient", "ordinary": "assistance_paid_ordinary",
}


def _yuan(fen: int) -> Decimal:
    return Decimal(fen) / 100


def _part(whole: Decimal, share: float) -> Decimal:
    return (whole * Decimal(str(share))).quantize(Decimal("0.01"), rounding="ROUND_DOWN")


def _needs_basic(policy: Policy, situation: dict[str, Any]) -> bool:
    """No schedule to compute basic insurance from: the core must give it."""
    basic = policy.basic_insurance
    return basic is None or basic.schedule(situation["insurance_type"], situation["medical_type"]) is None


@st.composite
def bills(draw: st.DrawFn, policy: Policy, *, basic_given: bool = False) -> Bill:
    """A bill whose parts fit, with the insurance amounts a policy needs given by the core."""
    total = _yuan(draw(st.integers(0, 60_000_000)))
    full = _part(total, draw(st.floats(0, 0.3)))
    over = _part(total, draw(st.floats(0, 0.1)))
    pre = _part(total, draw(st.floats(0, 0.1)))
    policy_range = total - full - over - pre
    drugs_rule = policy.critical_illness is not None and bool(policy.critical_illness.special_drugs)
    drugs = _part(policy_range, draw(st.floats(0, 0.5))) if drugs_rule and draw(st.booleans()) else Decimal(0)
    general = policy_range - drugs
    given = basic_given or draw(st.booleans())
    basic = _part(general, draw(st.floats(0, 0.9))) if given else None
    critical = None
    if policy.critical_illness is None:
        critical = _part(general - (basic or 0), draw(st.floats(0, 0.5)))
    return Bill(total=total, full_self_pay=full, over_limit_self_pay=over, pre_self_pay=pre, special_drugs=drugs,
                basic_insurance_paid=basic, critical_illness_paid=critical)


@st.composite
def situations(draw: st.DrawFn, *, one_identity: bool = False) -> tuple[str, dict[str, Any]]:
    """A policy and everything of a request but the bill and the accumulators."""
    policy_id = draw(st.sampled_from(sorted(WHERE_AND_WHEN)))
    policy = BOOK.parameters[policy_id]
    region, on = WHERE_AND_WHEN[policy_id]
    categories = sorted(policy.assistance)
    identities = ([draw(st.sampled_from(categories))] if one_identity
                  else draw(st.lists(st.sampled_from(categories), max_size=3, unique=True)))
    return policy_id, {
        "region_code": region, "hospital_region_code": region, "discharged_on": on, "identities": identities,
        "insurance_type": draw(st.sampled_from(list(InsuranceType))),
        "medical_type": draw(st.sampled_from(sorted(policy.medical_types))),
        "disease_class": draw(st.sampled_from(["ordinary", "major"])),
        "hospital_level": draw(st.sampled_from(["level_1", "level_2", "level_3", None])),
        "cause": draw(st.sampled_from([None, "illness", *sorted(policy.excluded_causes)])),
    }


def _check_amounts(request: CalculationRequest, result: CalculationResult) -> None:
    for fund in (*FUNDS, "personal_share"):
        assert getattr(result, fund) >= 0, fund
    assert sum(getattr(result, fund) for fund in FUNDS) + result.personal_share == request.bill.total


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_amounts_never_negative_and_add_up_to_the_total(data: st.DataObject) -> None:
    policy_id, situation = data.draw(situations())
    policy = BOOK.parameters[policy_id]
    bill = data.draw(bills(policy, basic_given=_needs_basic(policy, situation)))
    request = CalculationRequest(**situation, bill=bill)
    _check_amounts(request, calculate(policy, request, allow_unverified=True))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_year_of_settlements_never_passes_a_cap(data: st.DataObject) -> None:
    policy_id, situation = data.draw(situations(one_identity=True))
    policy = BOOK.parameters[policy_id]
    ytd = YearToDate()
    rule = policy.assistance[situation["identities"][0]]
    re_band = policy.re_assistance.get(situation["identities"][0])
    for _ in range(data.draw(st.integers(1, 8))):
        situation["medical_type"] = data.draw(st.sampled_from(sorted(policy.medical_types)))
        bill = data.draw(bills(policy, basic_given=_needs_basic(policy, situation)))
        request = CalculationRequest(**situation, bill=bill, year_to_date=ytd)
        result = calculate(policy, request, allow_unverified=True)
        _check_amounts(request, result)
        ytd = result.year_to_date_after
        for pool, cap in rule.caps.items():
            assert getattr(ytd, POOL_ACCUMULATOR[pool]) <= cap, pool
        if re_band is not None:
            assert ytd.re_assistance_paid <= re_band.annual_cap
        for accumulator, cap in result.annual_caps.items():
            assert getattr(ytd, accumulator) <= cap, accumulator


def _split(bill: Bill, share: float) -> tuple[Bill, Bill]:
    fields = ("total", "full_self_pay", "over_limit_self_pay", "pre_self_pay", "special_drugs",
              "basic_insurance_paid", "critical_illness_paid")
    first = {f: _part(getattr(bill, f), share) for f in fields if getattr(bill, f) is not None}
    second = {f: getattr(bill, f) - first[f] for f in first}
    return Bill(**first), Bill(**second)


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_a_bill_split_in_two_never_pays_more_than_whole(data: st.DataObject) -> None:
    policy_id, situation = data.draw(situations(one_identity=True))
    policy = BOOK.parameters[policy_id]
    # Basic insurance per admission (its deductible schedule) is the insurance core's business: two
    # admissions have two deductibles. The property is about the cumulative rules that follow it.
    bill = data.draw(bills(policy, basic_given=True))
    ytd = YearToDate()
    try:
        first, second = _split(bill, data.draw(st.floats(0.05, 0.95)))
    except ValueError:
        return  # a split whose parts do not fit one of the halves (e.g. rounding of the parts)
    whole = calculate(policy, CalculationRequest(**situation, bill=bill, year_to_date=ytd), allow_unverified=True)
    one = calculate(policy, CalculationRequest(**situation, bill=first, year_to_date=ytd), allow_unverified=True)
    two = calculate(policy, CalculationRequest(**situation, bill=second, year_to_date=one.year_to_date_after),
                    allow_unverified=True)
    paid = {fund: getattr(one, fund) + getattr(two, fund) for fund in FUNDS}
    assert sum(paid.values()) <= sum(getattr(whole, fund) for fund in FUNDS)


_app = create_app(AssistanceSettings(jwt_secret=JWT_SECRET, log_json=False))
_token = TokenCodec(JWT_SECRET, "assistance-platform").mint(subject="property", role=Role.SERVICE)
VALID = {
    "region_code": "370602", "insurance_type": "resident", "medical_type": "inpatient",
    "discharged_on": "2023-03-20", "identities": ["minimum_allowance"],
    "bill": {"total": "50000", "full_self_pay": "3000", "pre_self_pay": "2000", "basic_insurance_paid": "26520"},
}
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=8,
)


@st.composite
def malformed(draw: st.DrawFn) -> Any:
    """The valid request with one field broken, removed or added, or something else entirely."""
    body = {**VALID, "bill": dict(VALID["bill"])}
    kind = draw(st.sampled_from(["break", "remove", "add", "bill", "anything"]))
    if kind == "anything":
        return draw(json_values.filter(lambda v: not isinstance(v, dict)))
    if kind == "bill":
        body["bill"][draw(st.sampled_from(sorted(body["bill"])))] = draw(json_values.filter(
            lambda v: not isinstance(v, int | float) or v < 0))
        return body
    key = draw(st.sampled_from(sorted(body)))
    if kind == "remove":
        del body[key]
    elif kind == "add":
        body[draw(st.text(min_size=1, max_size=10).filter(lambda k: k not in CalculationRequest.model_fields))] = 1
    else:
        body[key] = draw(json_values)
    return body


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=malformed())
def test_a_malformed_request_gets_a_4xx_problem(body: Any) -> None:
    async def post() -> Any:
        async with asgi_client(_app) as client:
            return await client.post("/v1/calculations", json=body, headers={"Authorization": f"Bearer {_token}"})

    response = asyncio.run(post())
    if response.status_code == 200:  # the mutation happened to be valid (e.g. another identity list)
        CalculationRequest.model_validate(body)
        return
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"]
