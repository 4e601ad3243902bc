"""The chain of POLICY.md §4 for one settlement: pure, deterministic, every amount traced.

policy-range S → basic insurance B → burden R = S − B → critical illness C on the cumulative R
→ assistance base A = R − C → assistance M and re-assistance RA on their cumulative bases →
personal share P = total − B − C − M − RA. Each fund amount is rounded half up to the fen.
"""

from decimal import Decimal

from services.assistance.policies.model import Band, CriticalIllnessSchedule, Policy
from shared.categories import LABELS_ZH, PRECEDENCE, Category
from shared.contracts.calculation import (
    Alternative,
    Bill,
    CalculationRequest,
    CalculationResult,
    TraceStep,
    YearToDate,
)
from shared.money import ZERO, to_yuan


class NotComputable(ValueError):
    """The request cannot be computed under the policy (e.g. no basic schedule to fall back on)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def cumulative_ratio_amount(schedule: CriticalIllnessSchedule, burden: Decimal) -> Decimal:
    """F(x): Σ ratio × the part of each segment below x (unrounded)."""
    total = Decimal(0)
    for segment in schedule.segments:
        top = burden if segment.end is None else min(burden, segment.end)
        if top > segment.start:
            total += (top - segment.start) * segment.ratio
    return total


def _banded(band: Band, before: Decimal, addition: Decimal, paid_before: Decimal) -> tuple[Decimal, Decimal]:
    """(amount, cap remaining before it) for an annual threshold/ratio/cap on a cumulative base."""
    after = before + addition
    eligible = max(ZERO, after - band.threshold) - max(ZERO, before - band.threshold)
    cap_remaining = max(ZERO, band.annual_cap - paid_before)
    return min(to_yuan(eligible * band.ratio), cap_remaining), cap_remaining


def _basic(policy: Policy, request: CalculationRequest, policy_range: Decimal) -> tuple[Decimal, TraceStep]:
    bill, ytd = request.bill, request.year_to_date
    if bill.basic_insurance_paid is not None:
        return bill.basic_insurance_paid, TraceStep(
            rule="basic_insurance", label="基本医保统筹（医保核心已结算）", base=policy_range,
            amount=bill.basic_insurance_paid, source="given by the HIS / insurance core",
        )
    schedule = policy.basic_insurance.schedule(request.insurance_type, request.medical_type)
    if schedule is None:
        raise NotComputable(
            "basic_insurance_required",
            "该政策无此险种/类别的基本医保计算标准，请传入基本医保已付金额 (pass basic_insurance_paid)",
        )
    level = request.hospital_level if request.hospital_level in schedule.ratio else "unknown"
    deductible, ratio = schedule.deductible.get(level, schedule.deductible["unknown"]), schedule.ratio[level]
    cap_remaining = max(ZERO, schedule.annual_cap - ytd.basic_paid)
    amount = min(to_yuan(max(ZERO, policy_range - deductible) * ratio), cap_remaining)
    return amount, TraceStep(
        rule="basic_insurance", label="基本医保统筹（按配置标准测算）", base=policy_range,
        threshold=deductible, ratio=ratio, cap_remaining=cap_remaining,
        accumulator_before=ytd.basic_paid, accumulator_after=ytd.basic_paid + amount, amount=amount,
        source=policy.basic_insurance.source + ("" if policy.basic_insurance.verified else " [unverified]"),
    )


def _critical_illness(
    policy: Policy, request: CalculationRequest, burden: Decimal,
) -> tuple[Decimal, TraceStep]:
    ytd = request.year_to_date
    tilted = bool(policy.critical_illness.tilted_categories & set(request.identities))
    table = policy.critical_illness.tilted if tilted else policy.critical_illness.normal
    schedule = table[request.insurance_type]
    before, after = ytd.critical_illness_burden, ytd.critical_illness_burden + burden
    amount = to_yuan(cumulative_ratio_amount(schedule, after) - cumulative_ratio_amount(schedule, before))
    cap_remaining = None
    if schedule.annual_cap is not None:
        cap_remaining = max(ZERO, schedule.annual_cap - ytd.critical_illness_paid)
        amount = min(amount, cap_remaining)
    return amount, TraceStep(
        rule="critical_illness_tilted" if tilted else "critical_illness",
        label="大病保险（特困/低保/返贫致贫倾斜）" if tilted else "大病保险",
        base=burden, threshold=schedule.threshold, cap_remaining=cap_remaining,
        accumulator_before=before, accumulator_after=after, amount=amount, source=schedule.source,
    )


def _assistance_under(
    policy: Policy, identity: Category, base: Decimal, ytd: YearToDate,
) -> tuple[Decimal, Decimal, list[TraceStep]]:
    band = policy.assistance[identity]
    assistance, cap = _banded(band, ytd.assistance_base, base, ytd.assistance_paid)
    steps = [TraceStep(
        rule="assistance", label=f"医疗救助（{LABELS_ZH[identity]}）", base=base, threshold=band.threshold,
        ratio=band.ratio, cap_remaining=cap, accumulator_before=ytd.assistance_base,
        accumulator_after=ytd.assistance_base + base, amount=assistance, source=band.source,
    )]
    re_assistance = ZERO
    re_band = policy.re_assistance.get(identity)
    remainder = base - assistance
    if re_band is not None:
        re_assistance, re_cap = _banded(re_band, ytd.re_assistance_base, remainder, ytd.re_assistance_paid)
        steps.append(TraceStep(
            rule="re_assistance", label=f"再救助（{LABELS_ZH[identity]}）", base=remainder,
            threshold=re_band.threshold, ratio=re_band.ratio, cap_remaining=re_cap,
            accumulator_before=ytd.re_assistance_base, accumulator_after=ytd.re_assistance_base + remainder,
            amount=re_assistance, source=re_band.source,
        ))
    return assistance, re_assistance, steps


def calculate(policy: Policy, request: CalculationRequest) -> CalculationResult:
    bill: Bill = request.bill
    ytd = request.year_to_date
    policy_range = bill.total - bill.full_self_pay - bill.over_limit_self_pay - bill.pre_self_pay
    trace = [TraceStep(
        rule="policy_range", label="符合政策范围金额 = 总额 − 全自费 − 超限价 − 先行自付",
        base=bill.total, amount=policy_range,
    )]
    basic, basic_step = _basic(policy, request, policy_range)
    trace.append(basic_step)
    burden = policy_range - basic
    trace.append(TraceStep(rule="burden_after_basic", label="基本医保后政策范围内个人负担", amount=burden))
    critical, critical_step = _critical_illness(policy, request, burden)
    trace.append(critical_step)
    base = burden - critical
    trace.append(TraceStep(rule="assistance_base", label="救助基数（政策范围内个人负担）", amount=base))

    covered = [i for i in PRECEDENCE if i in set(request.identities) and i in policy.assistance]
    options = {i: _assistance_under(policy, i, base, ytd) for i in covered}
    # 就高不重复: the identity that pays most; ties to the earlier category (PRECEDENCE order).
    applied = max(covered, key=lambda i: (options[i][0] + options[i][1], -covered.index(i)), default=None)
    assistance = re_assistance = ZERO
    reason = None
    if applied is None:
        reason = (
            "无当日有效的救助身份 (no assistance identity in force)" if not request.identities
            else "所持身份不在本政策救助范围 (no identity held is covered by this policy)"
        )
    else:
        assistance, re_assistance, steps = options[applied]
        trace.extend(steps)

    caps: dict[str, Decimal] = {}
    if basic_step.cap_remaining is not None:
        caps["basic_paid"] = ytd.basic_paid + basic_step.cap_remaining
    if critical_step.cap_remaining is not None:
        caps["critical_illness_paid"] = ytd.critical_illness_paid + critical_step.cap_remaining
    if applied is not None:
        caps["assistance_paid"] = policy.assistance[applied].annual_cap
        if applied in policy.re_assistance:
            caps["re_assistance_paid"] = policy.re_assistance[applied].annual_cap
    personal = bill.total - basic - critical - assistance - re_assistance
    trace.append(TraceStep(rule="personal_share", label="个人自付 = 总额 − 各项基金支付", amount=personal))
    after = YearToDate(
        admissions=ytd.admissions + 1,
        basic_paid=ytd.basic_paid + basic,
        critical_illness_burden=ytd.critical_illness_burden + burden,
        critical_illness_paid=ytd.critical_illness_paid + critical,
        assistance_base=ytd.assistance_base + (base if applied else ZERO),
        assistance_paid=ytd.assistance_paid + assistance,
        re_assistance_base=ytd.re_assistance_base + (base - assistance if applied else ZERO),
        re_assistance_paid=ytd.re_assistance_paid + re_assistance,
    )
    return CalculationResult(
        policy_id=policy.id, identity_applied=applied, reason=reason, policy_range=policy_range,
        basic_insurance=basic, basic_insurance_source="given" if bill.basic_insurance_paid is not None else "schedule",
        critical_illness=critical, assistance=assistance, re_assistance=re_assistance, personal_share=personal,
        year_to_date_after=after, annual_caps=caps,
        alternatives=[Alternative(identity=i, assistance_total=options[i][0] + options[i][1]) for i in covered],
        trace=trace,
    )
