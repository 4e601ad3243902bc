"""The chain of docs/rules.md §4 for one settlement: pure, deterministic, every amount traced.

policy-range S (of which special drugs D) → basic insurance B on S − D → burden R = S − D − B →
critical illness C on the cumulative R → special drugs SD on the cumulative D → large-expense H →
assistance base A = R − C − H + (D − SD) → assistance M and re-assistance RA under each identity
in force (the one that pays most applies) → personal share P = total − every fund.
What a rule does not cover is 0 with the reason.

The result is plain data (calculation/result.py): every amount comes from validated inputs and the
policy's figures, all in fen, by sums, differences and rounded products, so each has two places; the
API validates a single calculation into the contract on the way out and writes a batch's JSON from
the data as it is (validating each trace line here was more than half of the time of a calculation).

Rounding (docs/rules.md §4: half up to the fen): a rule on a cumulative base pays the rounded
entitlement on the cumulative base after this settlement minus the rounded entitlement before it.
Each amount is in whole fen, and the amounts of a year add up to the rounded entitlement of the
year, so a bill split into two settlements never pays a fen more than the bill settled whole.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from services.assistance.calculation.result import Alternative, Calculation, Step
from services.assistance.policies.model import (
    DISEASE_CLASSES,
    Band,
    CriticalIllnessSchedule,
    OutpatientBenefit,
    Policy,
    pools_of,
)
from shared.categories import LABELS_ZH, PRECEDENCE, Category, InsuranceType, MedicalType
from shared.contracts.calculation import CalculationRequest, IllnessPovertyGrant
from shared.money import MAX_AMOUNT, ZERO, to_yuan
from shared.regions import inside

MEDICAL_TYPE_ZH = {
    MedicalType.INPATIENT: "住院", MedicalType.OUTPATIENT_CHRONIC: "门诊慢特病", MedicalType.OUTPATIENT: "普通门诊",
}
DISEASE_CLASS_ZH = {"ordinary": "普通疾病", "major": "重特大疾病"}
POOL_ACCUMULATOR = {
    "all": "assistance_paid", "inpatient": "assistance_paid_inpatient",
    "outpatient": "assistance_paid_outpatient", "ordinary": "assistance_paid_ordinary",
}


class NotComputable(ValueError):
    """The request cannot be computed under the policy (e.g. no basic schedule to fall back on)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _ensure_recordable(after: dict[str, Any], grant_after: IllnessPovertyGrant | None) -> None:
    """Refuse a settlement that would take a year-to-date or grant total past `MAX_AMOUNT`: the
    ledger could not record it (each bill fits, but enough of them in one year add up)."""
    totals = [*after.items(), *(grant_after or ())]
    past = sorted({name for name, value in totals if isinstance(value, Decimal) and value > MAX_AMOUNT})
    if past:
        raise NotComputable(
            "accumulator_limit",
            f"本次结算后年度累计将超出可记录的上限 {MAX_AMOUNT} (the totals {', '.join(past)} would pass it)",
        )


def _source(text: str, verified: bool) -> str:
    return text if verified else text + " [unverified: confirm locally]"


def cumulative_ratio_amount(schedule: CriticalIllnessSchedule, burden: Decimal) -> Decimal:
    """F(x): Σ ratio × the part of each segment below x (unrounded)."""
    total = Decimal(0)
    for segment in schedule.segments:
        top = burden if segment.end is None else min(burden, segment.end)
        if top > segment.start:
            total += (top - segment.start) * segment.ratio
    return total


@dataclass
class _Placeholders:
    """Whether placeholder figures (`verified = false`) may pay, and which ones this settlement used:
    a placeholder never pays real money unless the deployment says so, and then the statement names it."""

    allowed: bool
    used: list[str] = field(default_factory=list)

    def check(self, verified: bool, what: str, parameter: str) -> None:
        if verified:
            return
        if not self.allowed:
            raise NotComputable(
                "unverified_parameters",
                f"{what}的参数尚未经本地核实，不能据以结算"
                " (its figures are placeholders: pass the amount or confirm them)",
            )
        if parameter not in self.used:
            self.used.append(parameter)


def _cumulative_share(
    threshold: Decimal, ratio: Decimal, before: Decimal, addition: Decimal,
) -> tuple[Decimal, str]:
    """This settlement's share of a ratio above an annual threshold on a cumulative base, and how it
    was found (the entitlement of the year after it, less the entitlement before it)."""
    after_amount = to_yuan(max(ZERO, before + addition - threshold) * ratio)
    before_amount = to_yuan(max(ZERO, before - threshold) * ratio)
    return after_amount - before_amount, f"年度累计应付 {after_amount} − 此前 {before_amount}"


def _band_step(
    band: Band, rule: str, label: str, base: Decimal, base_before: Decimal, paid_before: Decimal,
    placeholders: _Placeholders, parameter: str,
) -> tuple[Decimal, Step]:
    placeholders.check(band.verified, label, parameter)
    cap_remaining = max(ZERO, band.annual_cap - paid_before)
    share, how = _cumulative_share(band.threshold, band.ratio, base_before, base)
    amount = min(share, cap_remaining)
    return amount, Step(
        rule=rule, label=f"{label}（{how}）", base=base, threshold=band.threshold, ratio=band.ratio,
        cap_remaining=cap_remaining, accumulator_before=base_before, accumulator_after=base_before + base,
        amount=amount, source=_source(band.source, band.verified),
    )


@dataclass
class _Option:
    """What one identity would pay."""

    identity: Category | None
    assistance: Decimal = ZERO
    re_assistance: Decimal = ZERO
    steps: list[Step] = field(default_factory=list)
    pools: tuple[str, ...] = ()
    caps: dict[str, Decimal] = field(default_factory=dict)
    grant_after: IllnessPovertyGrant | None = None
    reason: str | None = None  # set when this identity cannot apply
    unverified: list[str] = field(default_factory=list)  # the placeholder figures it was computed from

    @property
    def total(self) -> Decimal:
        return self.assistance + self.re_assistance


def _assistance_under(
    policy: Policy, identity: Category, request: CalculationRequest, base: Decimal, allow_unverified: bool,
) -> _Option:
    option = _Option(identity)
    placeholders = _Placeholders(allow_unverified, option.unverified)
    rule = policy.assistance[identity]
    medical_type, ytd = request.medical_type, request.year_to_date
    found = rule.ratio_for(medical_type, request.disease_class)
    if found is None:
        by_class = {f"{medical_type.value}_{d}" for d in DISEASE_CLASSES}
        if request.disease_class is None and by_class & set(rule.ratios):
            raise NotComputable(
                "disease_class_required",
                "本政策按普通疾病/重特大疾病分别救助，请传入 disease_class (ordinary or major)",
            )
        option.reason = f"{LABELS_ZH[identity]}：本政策不救助{MEDICAL_TYPE_ZH[medical_type]}费用 (not covered)"
        return option
    ratio_key, ratio = found
    grant = request.illness_poverty_grant if identity is Category.ILLNESS_POVERTY else None
    if identity is Category.ILLNESS_POVERTY and grant is None:
        option.reason = "因病致贫按认定期救助，未提供认定信息 (no illness-poverty grant given)"
        return option
    if grant is not None and not grant.covers(request.discharged_on):
        option.reason = "因病致贫认定期外 (outside the illness-poverty grant window)"
        return option
    what = [LABELS_ZH[identity], MEDICAL_TYPE_ZH[medical_type]]
    if ratio_key != medical_type.value:
        what.append(DISEASE_CLASS_ZH[ratio_key.rsplit("_", 1)[1]])
    placeholders.check(rule.verified, f"医疗救助（{'，'.join(what)}）", f"assistance.{identity.value}")
    base_before = grant.assistance_base if grant is not None else ytd.assistance_base
    paid = {pool: getattr(ytd, accumulator) for pool, accumulator in POOL_ACCUMULATOR.items()}
    if grant is not None:
        paid["all"] = grant.assistance_paid  # one grant, one cap (004 §三(七))
    option.pools = pools_of(ratio_key)
    limits = {pool: max(ZERO, cap - paid[pool]) for pool, cap in rule.caps.items() if pool in option.pools}
    amount, how = _cumulative_share(rule.threshold, ratio, base_before, base)
    cap_remaining = min(limits.values()) if limits else None
    if cap_remaining is not None:
        amount = min(amount, cap_remaining)
    option.assistance = amount
    option.caps = {
        POOL_ACCUMULATOR[pool]: rule.caps[pool] for pool in limits if not (grant is not None and pool == "all")
    }
    caps_text = "，".join(f"{pool} 余 {limit}" for pool, limit in limits.items())
    option.steps.append(Step(
        rule="assistance", label=f"医疗救助（{'，'.join(what)}；{how}）",
        base=base, threshold=rule.threshold, ratio=ratio, cap_remaining=cap_remaining,
        accumulator_before=base_before, accumulator_after=base_before + base, amount=amount,
        source=_source(rule.source, rule.verified) + (f"（限额：{caps_text}）" if caps_text else ""),
    ))
    if grant is not None:
        option.grant_after = grant.model_copy(update={
            "assistance_base": grant.assistance_base + base, "assistance_paid": grant.assistance_paid + amount,
        })
    re_band = policy.re_assistance.get(identity)
    if re_band is not None:
        remainder = base - amount
        option.re_assistance, step = _band_step(
            re_band, "re_assistance", f"再救助（{LABELS_ZH[identity]}）", remainder,
            ytd.re_assistance_base, ytd.re_assistance_paid, placeholders, f"re_assistance.{identity.value}",
        )
        option.steps.append(step)
        option.caps["re_assistance_paid"] = re_band.annual_cap
    return option


def _outpatient_benefit_under(
    benefit: OutpatientBenefit, identity: Category, request: CalculationRequest, actual: Decimal,
    allow_unverified: bool,
) -> _Option:
    """What the outpatient benefit pays under one identity: its ratio of the actual burden on the year's
    cumulative base (the same rounding as assistance), held to its own annual cap."""
    option = _Option(identity, pools=("all", "outpatient"))
    _Placeholders(allow_unverified, option.unverified).check(benefit.verified, "门诊救助", "outpatient_benefit")
    ytd = request.year_to_date
    cap_remaining = max(ZERO, benefit.annual_cap - ytd.assistance_paid_outpatient)
    share, how = _cumulative_share(ZERO, benefit.ratio, ytd.assistance_base, actual)
    option.assistance = min(share, cap_remaining)
    option.caps = {"assistance_paid_outpatient": benefit.annual_cap}
    option.steps.append(Step(
        rule="outpatient_benefit", label=f"门诊救助（{LABELS_ZH[identity]}，门诊实际负担；{how}）",
        base=actual, threshold=ZERO, ratio=benefit.ratio, cap_remaining=cap_remaining,
        accumulator_before=ytd.assistance_base, accumulator_after=ytd.assistance_base + actual,
        amount=option.assistance, source=_source(benefit.source, benefit.verified),
    ))
    return option


def _basic(
    policy: Policy, request: CalculationRequest, general: Decimal, placeholders: _Placeholders,
) -> tuple[Decimal, Step]:
    bill, ytd = request.bill, request.year_to_date
    if bill.basic_insurance_paid is not None:
        return bill.basic_insurance_paid, Step(
            rule="basic_insurance", label="基本医保统筹（医保核心已结算）", base=general,
            amount=bill.basic_insurance_paid, source="given by the HIS / insurance core",
        )
    basic = policy.basic_insurance
    schedule = basic.schedule(request.insurance_type, request.medical_type) if basic is not None else None
    if basic is None or schedule is None:
        raise NotComputable(
            "basic_insurance_required",
            "该政策无此险种/类别的基本医保计算标准，请传入基本医保已付金额 (pass basic_insurance_paid)",
        )
    placeholders.check(basic.verified, "基本医保统筹测算标准", "basic_insurance")
    level = request.hospital_level if request.hospital_level in schedule.ratio else "unknown"
    admission_number = ytd.admissions + 1 if request.medical_type is MedicalType.INPATIENT else 1
    deductible, ratio = schedule.deductible_for(level, admission_number), schedule.ratio[level]
    cap_remaining = max(ZERO, schedule.annual_cap - ytd.basic_paid)
    amount = min(to_yuan(max(ZERO, general - deductible) * ratio), cap_remaining)
    return amount, Step(
        rule="basic_insurance", label=f"基本医保统筹（按配置标准测算，年度第{admission_number}次住院起付线）"
        if request.medical_type is MedicalType.INPATIENT else "基本医保统筹（按配置标准测算）",
        base=general, threshold=deductible, ratio=ratio, cap_remaining=cap_remaining,
        accumulator_before=ytd.basic_paid, accumulator_after=ytd.basic_paid + amount, amount=amount,
        source=_source(basic.source, basic.verified),
    )


def _tilted(policy: Policy, request: CalculationRequest) -> bool:
    ci = policy.critical_illness
    return ci is not None and bool(ci.tilted_categories & set(request.identities))


def _critical_illness(
    policy: Policy, request: CalculationRequest, burden: Decimal, placeholders: _Placeholders,
) -> tuple[Decimal, Step]:
    ytd, given = request.year_to_date, request.bill.critical_illness_paid
    ci = policy.critical_illness
    if ci is not None and request.medical_type not in ci.medical_types and not given:
        return ZERO, Step(
            rule="critical_illness", label=f"大病保险不含{MEDICAL_TYPE_ZH[request.medical_type]}费用", amount=ZERO,
            base=burden, accumulator_before=ytd.critical_illness_burden,
            accumulator_after=ytd.critical_illness_burden, source=ci.source,
        )
    if given is not None:
        return given, Step(
            rule="critical_illness", label="大病保险（医保核心已结算）", base=burden, amount=given,
            accumulator_before=ytd.critical_illness_burden, accumulator_after=ytd.critical_illness_burden + burden,
            source="given by the HIS / insurance core",
        )
    if ci is None:
        raise NotComputable(
            "critical_illness_required",
            "该政策无大病保险计算标准，请传入大病保险已付金额 (pass critical_illness_paid)",
        )
    tilted = _tilted(policy, request)
    kind = "tilted" if tilted else "normal"
    schedule = getattr(ci, kind)[request.insurance_type]
    before, after = ytd.critical_illness_burden, ytd.critical_illness_burden + burden
    amount = to_yuan(cumulative_ratio_amount(schedule, after)) - to_yuan(cumulative_ratio_amount(schedule, before))
    cap_remaining = None
    if schedule.annual_cap is not None:
        cap_remaining = max(ZERO, schedule.annual_cap - ytd.critical_illness_paid)
        if amount > cap_remaining:  # the cap binds: its figure decides the amount
            placeholders.check(schedule.cap_verified, "大病保险年度最高支付限额",
                               f"critical_illness.{kind}.{request.insurance_type.value}.annual_cap")
            amount = cap_remaining
    return amount, Step(
        rule="critical_illness_tilted" if tilted else "critical_illness",
        label="大病保险（特困/低保/返贫致贫倾斜）" if tilted else "大病保险",
        base=burden, threshold=schedule.threshold, cap_remaining=cap_remaining,
        accumulator_before=before, accumulator_after=after, amount=amount, source=schedule.source,
    )


def _special_drugs(
    policy: Policy, request: CalculationRequest, placeholders: _Placeholders,
) -> tuple[Decimal, Step | None]:
    cost, ytd = request.bill.special_drugs, request.year_to_date
    if not cost:
        return ZERO, None
    ci = policy.critical_illness
    if ci is None or not ci.special_drugs:
        raise NotComputable(
            "special_drugs_not_covered", "该政策无大病保险特殊药品标准 (this policy has no special-drug rule)",
        )
    kind = "tilted" if _tilted(policy, request) else "normal"
    return _band_step(
        ci.special_drugs[kind], "special_drugs", "大病保险特殊药品" + ("（倾斜）" if kind == "tilted" else ""), cost,
        ytd.special_drugs_cost, ytd.special_drugs_paid, placeholders, f"critical_illness.special_drugs.{kind}",
    )


LARGE_EXPENSE_SOURCE = "004 §三(五) 经基本医保、大病保险、职工大额医疗费用补助等支付后的政策范围内个人负担"


def _large_expense(
    policy: Policy, request: CalculationRequest, burden: Decimal, placeholders: _Placeholders,
) -> tuple[Decimal, Step | None, str | None]:
    """The employee large-expense subsidy H (hifob_pay), deducted before assistance (004 §三(五)):
    as the core computed it, else by the policy's schedule, else 0 with a line on the statement saying
    the assistance was computed without it. (amount, step, source: given / schedule / missing)."""
    given, ytd = request.bill.large_expense_paid, request.year_to_date
    if request.insurance_type is not InsuranceType.EMPLOYEE:
        if given:
            raise NotComputable(
                "large_expense_not_applicable",
                "职工大额医疗费用补助只适用于职工医保 (large_expense_paid is for employee insurance only)",
            )
        return ZERO, None, None
    if given is not None:
        if given > burden:
            raise NotComputable(
                "large_expense_exceeds_burden",
                "职工大额医疗费用补助超过大病保险后政策范围内个人负担 (large_expense_paid exceeds the burden left)",
            )
        return given, Step(
            rule="large_expense", label="职工大额医疗费用补助（医保核心已结算）", base=burden, amount=given,
            accumulator_before=ytd.large_expense_base, accumulator_after=ytd.large_expense_base + burden,
            source="given by the HIS / insurance core",
        ), "given"
    band = policy.large_expense
    if band is not None:
        amount, step = _band_step(
            band, "large_expense", "职工大额医疗费用补助", burden, ytd.large_expense_base, ytd.large_expense_paid,
            placeholders, "large_expense",
        )
        return amount, step, "schedule"
    if request.insurance_type not in policy.insurance_types:
        return ZERO, None, None
    return ZERO, Step(
        rule="large_expense_missing", amount=ZERO, source=LARGE_EXPENSE_SOURCE,
        label="职工大额医疗费用补助：医保核心未提供且本政策未配置标准，救助按未扣除职工大额计算 "
        "(computed without the employee large-expense subsidy)",
    ), "missing"


def _why_no_assistance(policy: Policy, request: CalculationRequest) -> str | None:
    """A reason that rules out assistance under every identity, or None."""
    if request.insurance_type not in policy.insurance_types:
        return "本政策只救助参加居民医保的对象 (this policy assists resident insurance only)"
    if policy.hospital_within_region and not request.approved_outside_region and (
        request.hospital_region_code is None or not inside(request.hospital_region_code, policy.region_code)
    ):
        return "区外就医不适用一站式结算，请按规定申请救助 (treated outside the policy's region: apply by hand)"
    if (request.cause is not None and request.cause in policy.excluded_causes
            and request.medical_type in policy.excluded_causes_medical_types):
        return f"{policy.excluded_causes[request.cause]}：不予救助 (excluded cause: {policy.excluded_causes_source})"
    if request.medical_type not in policy.medical_types:
        benefit = policy.outpatient_benefit
        if benefit is not None and request.medical_type in benefit.medical_types:
            return f"本区未开展门诊救助 (the outpatient benefit is switched off: {benefit.source})"
        return f"本政策不救助{MEDICAL_TYPE_ZH[request.medical_type]}费用 (not covered by this policy)"
    if not request.identities:
        return "无当日有效的救助身份 (no assistance identity in force)"
    return None


def calculate(policy: Policy, request: CalculationRequest, *, allow_unverified: bool = False) -> Calculation:
    """`allow_unverified`: let placeholder figures (`verified = false`) pay; for demos and tests."""
    bill, ytd = request.bill, request.year_to_date
    placeholders = _Placeholders(allow_unverified)
    policy_range = bill.total - bill.full_self_pay - bill.over_limit_self_pay - bill.pre_self_pay
    general = policy_range - bill.special_drugs
    trace = [Step(
        rule="policy_range", label="符合政策范围金额 = 总额 − 全自费 − 超限价 − 先行自付",
        base=bill.total, amount=policy_range,
    )]
    basic, basic_step = _basic(policy, request, general, placeholders)
    trace.append(basic_step)
    burden = general - basic
    trace.append(Step(rule="burden_after_basic", label="基本医保后政策范围内个人负担", amount=burden))
    critical, critical_step = _critical_illness(policy, request, burden, placeholders)
    trace.append(critical_step)
    special, special_step = _special_drugs(policy, request, placeholders)
    large, large_step, large_source = _large_expense(policy, request, burden - critical, placeholders)
    trace.extend(step for step in (special_step, large_step) if step is not None)
    if large_source == "missing":
        large_step = None  # a note on the statement, not a rule that paid or holds an accumulator
    after_insurance = burden - critical - large + (bill.special_drugs - special)
    other = bill.hospital_reduction + bill.donations
    if other > after_insurance:
        raise NotComputable(
            "other_payments_exceed_burden",
            "医疗机构减免与社会捐助超过保险后政策范围内个人负担 (reductions and donations exceed the burden left)",
        )
    if other:
        trace.append(Step(rule="other_payments", label="医疗机构减免与社会捐助（自救助基数中扣除）", amount=other,
                          source="001 §四 扣除各种医疗保险报销、医疗机构减免和社会捐助后"))
    base = after_insurance - other
    trace.append(Step(rule="assistance_base", label="救助基数（政策范围内个人负担）", amount=base))

    reason = _why_no_assistance(policy, request)
    options: list[_Option] = []
    assisted_base = base  # what the rule that pays works on
    if reason is None:
        held = set(request.identities)
        benefit = policy.outpatient_benefit
        if benefit is not None and request.medical_type in benefit.medical_types:
            assisted_base = base + bill.full_self_pay + bill.over_limit_self_pay + bill.pre_self_pay
            trace.append(Step(
                rule="actual_burden", amount=assisted_base, source=benefit.source,
                label="门诊实际负担 = 救助基数 + 全自费 + 超限价 + 先行自付"
                " (the actual burden, outside the catalog too)",
            ))
            covered = [i for i in PRECEDENCE if i in held and i in benefit.categories]
            options = [_outpatient_benefit_under(benefit, i, request, assisted_base, allow_unverified)
                       for i in covered]
        else:
            covered = [i for i in PRECEDENCE if i in held and i in policy.assistance]
            options = [_assistance_under(policy, i, request, base, allow_unverified) for i in covered]
        if not covered:
            reason = "所持身份不在本政策救助范围 (no identity held is covered by this policy)"
    applicable = [o for o in options if o.reason is None]
    # 就高不重复: the identity that pays most; ties to the earlier category (PRECEDENCE order).
    applied = max(applicable, key=lambda o: (o.total, -PRECEDENCE.index(o.identity)), default=None)
    if applied is None:
        reason = reason or "；".join(o.reason for o in options if o.reason)
        applied_option = _Option(None)
    else:
        applied_option = applied
        if len(options) > 1:
            compared = "；".join(
                f"{LABELS_ZH[o.identity]} {o.total}" if o.reason is None else f"{LABELS_ZH[o.identity]} 不适用"
                for o in options if o.identity is not None
            )
            trace.append(Step(
                rule="identity_applied", label=f"多重身份就高不重复：{compared}；适用{LABELS_ZH[applied.identity]}",
                amount=applied.total, source="004 §二(一) 按照就高不重复原则实行救助; docs/rules.md §3 Decision",
            ))
        trace.extend(applied.steps)
    assistance, re_assistance = applied_option.assistance, applied_option.re_assistance
    unverified = [*placeholders.used, *(p for p in applied_option.unverified if p not in placeholders.used)]
    if unverified:
        trace.append(Step(
            rule="unverified_parameters", amount=ZERO, source="docs/rules.md §9 (ASSISTANCE_ALLOW_UNVERIFIED)",
            label=f"本次结算使用了尚未核实的参数：{'、'.join(unverified)} (placeholder figures used)",
        ))

    caps: dict[str, Decimal] = {}
    for step, accumulator, before in (
        (basic_step, "basic_paid", ytd.basic_paid), (critical_step, "critical_illness_paid", ytd.critical_illness_paid),
        (special_step, "special_drugs_paid", ytd.special_drugs_paid),
        (large_step, "large_expense_paid", ytd.large_expense_paid),
    ):
        if step is not None and step.cap_remaining is not None:
            caps[accumulator] = before + step.cap_remaining
    caps.update(applied_option.caps)
    personal = bill.total - basic - critical - special - large - other - assistance - re_assistance
    trace.append(Step(rule="personal_share", label="个人自付 = 总额 − 各项基金支付", amount=personal))
    pools = set(applied_option.pools)
    after = {
        "admissions": ytd.admissions + (1 if request.medical_type is MedicalType.INPATIENT else 0),
        "basic_paid": ytd.basic_paid + basic,
        "critical_illness_burden": critical_step.accumulator_after or ZERO,
        "critical_illness_paid": ytd.critical_illness_paid + critical,
        "special_drugs_cost": ytd.special_drugs_cost + bill.special_drugs,
        "special_drugs_paid": ytd.special_drugs_paid + special,
        "large_expense_base": ytd.large_expense_base + (burden - critical if large_step is not None else ZERO),
        "large_expense_paid": ytd.large_expense_paid + large,
        "assistance_base": ytd.assistance_base + (assisted_base if applied else ZERO),
        "assistance_paid": ytd.assistance_paid + assistance,
        "assistance_paid_inpatient": ytd.assistance_paid_inpatient + (assistance if "inpatient" in pools else ZERO),
        "assistance_paid_outpatient": ytd.assistance_paid_outpatient + (assistance if "outpatient" in pools else ZERO),
        "assistance_paid_ordinary": ytd.assistance_paid_ordinary + (assistance if "ordinary" in pools else ZERO),
        "re_assistance_base": ytd.re_assistance_base + (assisted_base - assistance if applied else ZERO),
        "re_assistance_paid": ytd.re_assistance_paid + re_assistance,
    }
    _ensure_recordable(after, applied_option.grant_after)
    year_to_date_after = ytd.model_copy(update=after)  # every field replaced: a copy is cheaper than a construct
    return Calculation(
        policy_id=policy.id, identity_applied=applied.identity if applied else None, reason=reason,
        policy_range=policy_range, basic_insurance=basic,
        basic_insurance_source="given" if bill.basic_insurance_paid is not None else "schedule",
        large_expense_source=large_source,
        critical_illness=critical, special_drugs=special, large_expense=large, other_payments=other,
        assistance=assistance, re_assistance=re_assistance, personal_share=personal,
        year_to_date_after=year_to_date_after, illness_poverty_grant_after=applied_option.grant_after,
        annual_caps=caps,
        alternatives=[Alternative(identity=o.identity, assistance_total=o.total) for o in options],
        trace=trace, unverified_parameters=unverified,
    )
