"""Treat first, pay later (先诊疗后付费, 004 §四(十)): 经基层医疗卫生机构首诊转诊的特困人员、低保对象、
返贫致贫人口在我市行政区域内定点医疗机构住院，实行"先诊疗后付费". Pure: which conditions an admission
misses, each as a bilingual reason; none missed, no deposit."""

from dataclasses import dataclass
from datetime import date

from shared.categories import Category
from shared.regions import inside


@dataclass(frozen=True)
class TreatFirstPayLater:
    """Who and where (settings): the identities, the region the hospital must be in, and the day the
    plan that grants it came into force."""

    identities: frozenset[Category]
    region_code: str
    in_force_from: date


def deposit_reasons(
    rule: TreatFirstPayLater, identities: list[Category], hospital_region_code: str, admitted_on: date,
    referred_on: date | None,
) -> list[str]:
    """Why a deposit applies, every condition missed (empty: treat first, pay later)."""
    reasons = []
    if admitted_on < rule.in_force_from:
        reasons.append(f"入院日早于先诊疗后付费施行日 {rule.in_force_from} "
                       "(admitted before the plan that grants it, 004 §四(十))")
    if not rule.identities & set(identities):
        reasons.append("所持身份不适用先诊疗后付费，仅限特困人员、低保对象、返贫致贫人口 "
                       "(only extreme poverty, minimum allowance and returned-to-poverty)")
    if referred_on is None:
        reasons.append("无基层医疗卫生机构首诊转诊 (no referral from a primary-care institution)")
    if not inside(hospital_region_code, rule.region_code):
        reasons.append(f"医院不在本市（{rule.region_code}）行政区域内 (the hospital is outside the city)")
    return reasons
