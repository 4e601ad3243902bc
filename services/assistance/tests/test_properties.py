"""Properties of the chain over random bills and random years of settlements, under every
policy: no amount below zero, funds + personal share = total to the fen, no fund above its base, no
cap of the policy ever exceeded, more bill never pays less, the identity applied pays at least as
much as any other the person holds, a bill split into two settlements never paid more than the bill
whole; and a malformed request always gets a 4xx problem.

The strategies lean toward what is rare in uniform draws: big bills, persons who start the
settlement with a year of earlier settlements behind them (so near or at their caps), the 2023
policy (the only one with re-assistance) and its illness-poverty grants.
`test_the_strategies_reach_re_assistance_and_every_cap` counts that they do."""

import asyncio
from collections import Counter
from datetime import date
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from conftest import ISSUER_KEY, KEY_SETTINGS, asgi_client
from services.assistance.app import create_app
from services.assistance.calculation.chain import calculate
from services.assistance.calculation.result import JSON
from services.assistance.policies.model import Policy
from services.assistance.settings import AssistanceSettings
from services.assistance.tests.test_cases import BOOK
from shared.auth import Role, TokenIssuer
from shared.categories import Category
from shared.contracts.calculation import Bill, CalculationRequest, CalculationResult, IllnessPovertyGrant, YearToDate
from shared.money import CENT, ZERO, to_yuan

WHERE_AND_WHEN = {  # one region and date inside each policy
    "yantai-2023": ("370602", date(2023, 6, 1)),
    "yantai-2018": ("370602", date(2020, 6, 1)),
    "yantai-2018-development-zone": ("370672", date(2020, 6, 1)),
    "taierzhuang-2017": ("370405", date(2019, 6, 1)),
}
# Yantai 2023 three times: it alone has re-assistance, illness-poverty grants and computed critical illness.
POLICY_DRAWS = ("yantai-2023", "yantai-2023", "yantai-2023", "yantai-2018", "yantai-2018-development-zone",
                "taierzhuang-2017")
FUNDS = ("basic_insurance", "critical_illness", "special_drugs", "large_expense", "other_payments", "assistance",
         "re_assistance")
POOL_ACCUMULATOR = {
    "all": "assistance_paid", "inpatient": "assistance_paid_inpatient",
    "outpatient": "assistance_paid_outpatient", "ordinary": "assistance_paid_ordinary",
}
C = Category
D = Decimal


def _each(categories: tuple[Category, ...], caps: dict[str, str]) -> dict[Category, dict[str, Decimal]]:
    return {category: {pool: D(cap) for pool, cap in caps.items()} for category in categories}


# The annual caps as docs/rules.md gives them from the documents, not as the policy files or the
# result say: a cap mistyped in a file fails here. `grant` is the illness-poverty cap, one per grant.
POLICY_CAPS: dict[str, dict[Category, dict[str, Decimal]]] = {
    "yantai-2023": {  # 烟政办发〔2022〕25号 §三(六)(七)
        **_each((C.EXTREME_POVERTY, C.MINIMUM_ALLOWANCE, C.RETURNED_TO_POVERTY), {"all": "30000"}),
        **_each((C.ALLOWANCE_MARGIN, C.POVERTY_MONITORING), {"all": "20000"}),
        C.ILLNESS_POVERTY: {"grant": D("30000")},
    },
    "yantai-2018": {  # the 2018 notice, annex §二 (ordinary cap inside the major cap: a Decision)
        C.EXTREME_POVERTY: {"all": D("30000"), "outpatient": D("3000")},
        C.MINIMUM_ALLOWANCE: {"all": D("30000"), "ordinary": D("10000"), "outpatient": D("2000")},
        C.DOWNSIZED_RETIREE: {"all": D("30000"), "ordinary": D("10000"), "outpatient": D("3000")},
        C.REGISTERED_POOR: {"all": D("8000"), "ordinary": D("5000")},
    },
    "taierzhuang-2017": _each(  # 台民字〔2017〕26号 §四
        (C.EXTREME_POVERTY, C.MINIMUM_ALLOWANCE, C.REGISTERED_POOR), {"inpatient": "10000", "outpatient": "1000"}),
}
# The zone's document gives no figures: until the zone's own standard is configured, the city's.
POLICY_CAPS["yantai-2018-development-zone"] = POLICY_CAPS["yantai-2018"]
RE_ASSISTANCE_CAPS = {"yantai-2023": _each(  # 烟政办发〔2022〕25号 §三(六): 2万元 for each
    (C.EXTREME_POVERTY, C.MINIMUM_ALLOWANCE, C.RETURNED_TO_POVERTY, C.ALLOWANCE_MARGIN, C.POVERTY_MONITORING),
    {"re_assistance": "20000"})}
ILLNESS_POVERTY = {"threshold": D("10000"), "ratio": D("0.60"), "cap": D("30000")}  # §三(七)


def test_the_policy_files_hold_the_documents_caps() -> None:
    for policy_id, by_identity in POLICY_CAPS.items():
        policy = BOOK.parameters[policy_id]
        assert set(policy.assistance) == set(by_identity), policy_id
        benefit = policy.outpatient_benefit  # Tai'erzhuang's outpatient cap is its own benefit's
        for identity, caps in by_identity.items():
            in_file = dict(policy.assistance[identity].caps)
            if benefit is not None and identity in benefit.categories:
                in_file["outpatient"] = benefit.annual_cap
            assert in_file == {"all" if p == "grant" else p: c for p, c in caps.items()}
        assert {i: {"re_assistance": b.annual_cap} for i, b in policy.re_assistance.items()} == (
            RE_ASSISTANCE_CAPS.get(policy_id, {}))


def _yuan(fen: int) -> Decimal:
    return Decimal(fen) / 100


def _part(whole: Decimal, share: float) -> Decimal:
    return (whole * Decimal(str(share))).quantize(Decimal("0.01"), rounding="ROUND_DOWN")


def _needs_basic(policy: Policy, situation: dict[str, Any]) -> bool:
    """No schedule to compute basic insurance from: the core must give it."""
    basic = policy.basic_insurance
    return basic is None or basic.schedule(situation["insurance_type"], situation["medical_type"]) is None


# Half the totals up to 50,000 yuan, half from 50,000 to 2,000,000: a cap or the re-assistance
# threshold is seldom reached by one small bill.
totals = st.one_of(st.integers(0, 5_000_000), st.integers(5_000_000, 200_000_000)).map(_yuan)


@st.composite
def bills(draw: st.DrawFn, policy: Policy, *, basic_given: bool = False) -> Bill:
    """A bill whose parts fit, with the insurance amounts a policy needs given by the core."""
    total = draw(totals)
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
    policy_id = draw(st.sampled_from(POLICY_DRAWS))
    policy = BOOK.parameters[policy_id]
    region, on = WHERE_AND_WHEN[policy_id]
    categories = sorted(policy.assistance)
    identities = ([draw(st.sampled_from(categories))] if one_identity
                  else draw(st.lists(st.sampled_from(categories), max_size=3, unique=True)))
    grant = None
    if C.ILLNESS_POVERTY in identities:  # approved in 2023, looking back to 2022; some of it used last year
        last_year = draw(st.sampled_from([ZERO, _yuan(draw(st.integers(0, 8_000_000)))]))
        used = min(ILLNESS_POVERTY["cap"], to_yuan(max(ZERO, last_year - ILLNESS_POVERTY["threshold"])
                                                   * ILLNESS_POVERTY["ratio"]))
        grant = IllnessPovertyGrant(window_from=date(2022, 5, 1), window_until=date(2023, 12, 31),
                                    assistance_base=last_year, assistance_paid=used)
    excluded = sorted(policy.excluded_causes)
    return policy_id, {
        "region_code": region, "hospital_region_code": region, "discharged_on": on, "identities": identities,
        # the insurance types the policy covers (an employee under a residents-only policy: the cases)
        "insurance_type": draw(st.sampled_from(sorted(policy.insurance_types))),
        "medical_type": draw(st.sampled_from(sorted(policy.medical_types))),
        "disease_class": draw(st.sampled_from(["ordinary", "major"])),
        "hospital_level": draw(st.sampled_from(["level_1", "level_2", "level_3", None])),
        "cause": draw(st.sampled_from(excluded) if excluded and draw(st.integers(0, 3)) == 0  # 1 in 4
                      else st.sampled_from([None, "illness"])),
        "illness_poverty_grant": grant,
    }


def _earlier_in_the_year(data: st.DataObject, policy: Policy, situation: dict[str, Any]) -> dict[str, Any]:
    """The situation after 0 to 3 earlier settlements of the year (a person near, at or past a cap):
    the year-to-date and grant those settlements leave, so the start is always one the chain reaches."""
    for _ in range(data.draw(st.integers(0, 3))):
        earlier = {**situation, "medical_type": data.draw(st.sampled_from(sorted(policy.medical_types)))}
        bill = data.draw(bills(policy, basic_given=_needs_basic(policy, earlier)))
        result = calculate(policy, CalculationRequest(**earlier, bill=bill), allow_unverified=True)
        situation = {**situation, "year_to_date": result.year_to_date_after,
                     "illness_poverty_grant": result.illness_poverty_grant_after
                     or situation["illness_poverty_grant"]}
    return situation


def _check_amounts(request: CalculationRequest, result: Any) -> None:
    for fund in (*FUNDS, "personal_share"):
        assert getattr(result, fund) >= 0, fund
    assert sum(getattr(result, fund) for fund in FUNDS) + result.personal_share == request.bill.total


def _check_bases(request: CalculationRequest, result: Any) -> None:
    """Each fund at most what it works on: nothing pays more than the cost it covers."""
    bill = request.bill
    general = result.policy_range - bill.special_drugs
    burden = general - result.basic_insurance
    assert result.basic_insurance <= general
    assert result.critical_illness <= burden
    assert result.special_drugs <= bill.special_drugs
    assert result.large_expense <= burden - result.critical_illness
    base = burden - result.critical_illness - result.large_expense + bill.special_drugs - result.special_drugs
    base -= result.other_payments
    benefit = BOOK.parameters[result.policy_id].outpatient_benefit
    if benefit is not None and request.medical_type in benefit.medical_types:  # 001 §四: the actual burden
        base += bill.full_self_pay + bill.over_limit_self_pay + bill.pre_self_pay
    assert result.assistance <= base
    assert result.re_assistance <= base - result.assistance


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_amounts_never_negative_add_up_and_no_fund_above_its_base(data: st.DataObject) -> None:
    policy_id, situation = data.draw(situations())
    policy = BOOK.parameters[policy_id]
    situation = _earlier_in_the_year(data, policy, situation)
    bill = data.draw(bills(policy, basic_given=_needs_basic(policy, situation)))
    request = CalculationRequest(**situation, bill=bill)
    result = calculate(policy, request, allow_unverified=True)
    _check_amounts(request, result)
    _check_bases(request, result)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_json_written_is_the_contracts(data: st.DataObject) -> None:
    """What `calculations:batch` writes straight from the chain's plain data is, byte for byte, what the
    contract writes after validating it (every amount in fen, every field in its order)."""
    policy_id, situation = data.draw(situations())
    policy = BOOK.parameters[policy_id]
    situation = _earlier_in_the_year(data, policy, situation)
    bill = data.draw(bills(policy, basic_given=_needs_basic(policy, situation)))
    result = calculate(policy, CalculationRequest(**situation, bill=bill), allow_unverified=True)
    validated = CalculationResult.model_validate(result, from_attributes=True)
    assert JSON.encode(result) == validated.model_dump_json().encode()


def _year(data: st.DataObject) -> tuple[str, Category, list[tuple[CalculationRequest, Any]]]:
    """A year of 1 to 8 settlements of one person under one identity, each result's accumulators
    feeding the next; in half the years all of one medical type (so its own sub-cap fills)."""
    policy_id, situation = data.draw(situations(one_identity=True))
    policy = BOOK.parameters[policy_id]
    ytd, grant = YearToDate(), situation.pop("illness_poverty_grant")
    one_type = data.draw(st.booleans())
    settled = []
    for _ in range(data.draw(st.integers(1, 8))):
        if not (one_type and settled):
            situation["medical_type"] = data.draw(st.sampled_from(sorted(policy.medical_types)))
        bill = data.draw(bills(policy, basic_given=_needs_basic(policy, situation)))
        request = CalculationRequest(**situation, bill=bill, year_to_date=ytd, illness_poverty_grant=grant)
        result = calculate(policy, request, allow_unverified=True)
        settled.append((request, result))
        ytd, grant = result.year_to_date_after, result.illness_poverty_grant_after or grant
    return policy_id, situation["identities"][0], settled


def _caps_reached(policy_id: str, identity: Category, result: Any) -> set[str]:
    """The documents' caps this result's accumulators stand at."""
    ytd, grant = result.year_to_date_after, result.illness_poverty_grant_after
    reached = {pool for pool, cap in POLICY_CAPS[policy_id][identity].items()
               if pool != "grant" and getattr(ytd, POOL_ACCUMULATOR[pool]) == cap}
    if grant is not None and grant.assistance_paid == ILLNESS_POVERTY["cap"]:
        reached.add("grant")
    re_cap = RE_ASSISTANCE_CAPS.get(policy_id, {}).get(identity)
    if re_cap is not None and ytd.re_assistance_paid == re_cap["re_assistance"]:
        reached.add("re_assistance")
    return reached


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_year_of_settlements_never_passes_a_cap_of_the_policy(data: st.DataObject) -> None:
    policy_id, identity, settled = _year(data)
    caps = POLICY_CAPS[policy_id][identity]
    re_cap = RE_ASSISTANCE_CAPS.get(policy_id, {}).get(identity, {}).get("re_assistance")
    for request, result in settled:
        _check_amounts(request, result)
        ytd = result.year_to_date_after
        for pool, cap in caps.items():
            if pool == "grant":
                grant = result.illness_poverty_grant_after
                assert grant is None or grant.assistance_paid <= cap
            else:
                assert getattr(ytd, POOL_ACCUMULATOR[pool]) <= cap, pool
        assert ytd.re_assistance_paid <= (re_cap if re_cap is not None else 0)
        if result.re_assistance:
            event("re-assistance paid")
        for cap in _caps_reached(policy_id, identity, result):
            event(f"{policy_id} cap reached: {cap}")


def test_the_strategies_reach_re_assistance_and_every_cap() -> None:
    """The years drawn above reach what the cap property is about: of the years whose identity has a
    given cap of the documents (each pool of each policy, the grant, re-assistance), a good share end
    at it, and most years with re-assistance pay some (derandomized: the same count on every run)."""
    held: Counter[tuple[str, str]] = Counter()
    reached: Counter[tuple[str, str]] = Counter()

    # Derandomized, yet Hypothesis mixes in constants from the project's modules that are loaded, so the
    # draws differ between a run of this file and of the suite (and as modules are added). The bar is
    # set well below the shares seen (about 10-15% for the rarest caps, over 1,000 years) so that it
    # holds whichever draws come, and still far above what unbiased strategies reach (caps seldom).
    @settings(max_examples=1000, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def sample(data: st.DataObject) -> None:
        policy_id, identity, settled = _year(data)
        caps = {*POLICY_CAPS[policy_id][identity], *RE_ASSISTANCE_CAPS.get(policy_id, {}).get(identity, {})}
        held.update((policy_id, cap) for cap in caps)
        reached.update((policy_id, cap) for cap in set().union(
            *(_caps_reached(policy_id, identity, result) for _, result in settled)))
        if "re_assistance" in caps:
            reached[policy_id, "re_assistance paid"] += any(result.re_assistance for _, result in settled)

    sample()
    every_cap = {(policy_id, pool) for policy_id, by_identity in POLICY_CAPS.items()
                 for caps in by_identity.values() for pool in caps} | {("yantai-2023", "re_assistance")}
    assert set(held) == every_cap
    for policy_id, cap in every_cap:
        assert reached[policy_id, cap] >= 0.05 * held[policy_id, cap], (policy_id, cap, reached, held)
    assert reached["yantai-2023", "re_assistance paid"] >= 0.5 * held["yantai-2023", "re_assistance"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_more_bill_never_pays_less(data: st.DataObject) -> None:
    """More policy-range cost (general or special drugs), all else equal, never lowers the benefit
    total nor the personal share; under one identity, no fund pays less. (Under several, the identity
    applied may change with the bill, trading assistance for re-assistance: only their sum is monotone.)"""
    policy_id, situation = data.draw(situations())
    policy = BOOK.parameters[policy_id]
    situation = _earlier_in_the_year(data, policy, situation)
    bill = data.draw(bills(policy, basic_given=_needs_basic(policy, situation)))
    more = _yuan(data.draw(st.integers(1, 50_000_000)))
    as_drugs = bool(bill.special_drugs) and data.draw(st.booleans())
    bigger = bill.model_copy(update={"total": bill.total + more,
                                     "special_drugs": bill.special_drugs + (more if as_drugs else ZERO)})
    less = calculate(policy, CalculationRequest(**situation, bill=bill), allow_unverified=True)
    most = calculate(policy, CalculationRequest(**situation, bill=bigger), allow_unverified=True)
    assert sum(getattr(most, f) for f in FUNDS) >= sum(getattr(less, f) for f in FUNDS)
    assert most.personal_share >= less.personal_share
    assert most.assistance + most.re_assistance >= less.assistance + less.re_assistance
    if len(situation["identities"]) <= 1:
        for fund in FUNDS:
            assert getattr(most, fund) >= getattr(less, fund), fund



def test_with_several_identities_more_bill_may_trade_assistance_for_re_assistance() -> None:
    """Why only the sum is monotone under several identities. 低保边缘 and 因病致贫 (its grant's 10,000
    threshold already met), normal critical illness: A = R − (R − 14,000) × 60%.
    R 51,500: C 22,500, A 29,000: 因病致贫 60% = 17,400 against 低保边缘 (29,000 − 3,000) × 50% = 13,000
    + (16,000 − 10,000) × 70% = 4,200, so 17,400 of assistance. R 56,500: C 25,500, A 31,000: 因病致贫
    18,600 against 低保边缘 14,000 + (17,000 − 10,000) × 70% = 4,900 = 18,900, so 14,000 + 4,900."""
    policy = BOOK.parameters["yantai-2023"]
    grant = IllnessPovertyGrant(window_from=date(2022, 5, 1), window_until=date(2023, 12, 31),
                                assistance_base=D("10000"))

    def settle(total: str) -> Any:
        return calculate(policy, CalculationRequest(
            region_code="370602", insurance_type="resident", medical_type="inpatient", discharged_on=date(2023, 6, 1),
            identities=["allowance_margin", "illness_poverty"], illness_poverty_grant=grant,
            bill=Bill(total=D(total), basic_insurance_paid=D("40000"))))

    less, more = settle("91500"), settle("96500")
    assert (less.identity_applied, less.critical_illness, less.assistance, less.re_assistance) == (
        "illness_poverty", D("22500.00"), D("17400.00"), D("0"))
    assert (more.identity_applied, more.critical_illness, more.assistance, more.re_assistance) == (
        "allowance_margin", D("25500.00"), D("14000.00"), D("4900.00"))
    assert (less.personal_share, more.personal_share) == (D("11600.00"), D("12100.00"))

def _tilted(policy: Policy, identities: list[Category]) -> bool:
    ci = policy.critical_illness
    return ci is not None and bool(ci.tilted_categories & set(identities))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_identity_applied_pays_at_least_as_much_as_any_other_held(data: st.DataObject) -> None:
    """就高不重复: each identity held is computed alone; the statement pays at least what it would. An
    identity alone may lose the critical-illness tilt another identity gives (004 §三(四)1): then the
    tilt pays more insurance and less assistance, and the person still pays no more than alone."""
    policy_id, situation = data.draw(situations())
    policy = BOOK.parameters[policy_id]
    situation = {**_earlier_in_the_year(data, policy, situation),
                 "identities": data.draw(st.lists(st.sampled_from(sorted(policy.assistance)), min_size=2,
                                                  max_size=4, unique=True))}
    if C.ILLNESS_POVERTY in situation["identities"] and situation["illness_poverty_grant"] is None:
        situation["illness_poverty_grant"] = IllnessPovertyGrant(
            window_from=date(2022, 5, 1), window_until=date(2023, 12, 31))
    bill = data.draw(bills(policy, basic_given=_needs_basic(policy, situation)))
    held = calculate(policy, CalculationRequest(**situation, bill=bill), allow_unverified=True)
    for identity in situation["identities"]:
        alone = calculate(policy, CalculationRequest(**{**situation, "identities": [identity]}, bill=bill),
                          allow_unverified=True)
        same_insurance = bill.critical_illness_paid is not None or (
            _tilted(policy, [identity]) == _tilted(policy, situation["identities"]))
        # Without the tilt the identity alone runs other year-to-date totals, and every fund is rounded
        # on its running total (docs/rules.md §4): a fen may fall either way.
        assert held.personal_share <= alone.personal_share + (ZERO if same_insurance else CENT), identity
        if same_insurance:
            event("an identity alone gets the same insurance")
            assert held.assistance + held.re_assistance >= alone.assistance + alone.re_assistance, identity
    applied = {a.identity: a.assistance_total for a in held.alternatives}
    if held.identity_applied is not None:
        assert applied[held.identity_applied] == max(applied.values()) == held.assistance + held.re_assistance


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
    situation = _earlier_in_the_year(data, policy, situation)
    bill = data.draw(bills(policy, basic_given=True))
    try:
        first, second = _split(bill, data.draw(st.floats(0.05, 0.95)))
    except ValueError:
        return  # a split whose parts do not fit one of the halves (e.g. rounding of the parts)
    whole = calculate(policy, CalculationRequest(**situation, bill=bill), allow_unverified=True)
    one = calculate(policy, CalculationRequest(**situation, bill=first), allow_unverified=True)
    two = calculate(policy, CalculationRequest(**{**situation, "year_to_date": one.year_to_date_after,
                                                  "illness_poverty_grant": one.illness_poverty_grant_after
                                                  or situation["illness_poverty_grant"]}, bill=second),
                    allow_unverified=True)
    paid = {fund: getattr(one, fund) + getattr(two, fund) for fund in FUNDS}
    assert sum(paid.values()) <= sum(getattr(whole, fund) for fund in FUNDS)


_app = create_app(AssistanceSettings(**KEY_SETTINGS, log_json=False))
_token = TokenIssuer(ISSUER_KEY, "assistance-platform").mint(subject="property", role=Role.SERVICE)
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
