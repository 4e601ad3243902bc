"""The funds a settlement pays, defined once: the statement's fund lines, the settlement's columns
(`SettlementRow`, one per fund, the same names) and the period claim's fund sums all derive from it."""

from shared.categories import InsuranceType

FUND_LABELS = {  # NHSA fund_pay_type codes (docs/rules.md §1)
    "basic_insurance": ("基本医保统筹基金", {InsuranceType.EMPLOYEE: "310100", InsuranceType.RESIDENT: "390100"}),
    "critical_illness": ("大病保险", {InsuranceType.EMPLOYEE: "390200", InsuranceType.RESIDENT: "390200"}),
    "special_drugs": ("大病保险特殊药品", {InsuranceType.EMPLOYEE: "390200", InsuranceType.RESIDENT: "390200"}),
    "large_expense": ("职工大额医疗费用补助", {InsuranceType.EMPLOYEE: "330100", InsuranceType.RESIDENT: "330100"}),
    "assistance": ("医疗救助", {InsuranceType.EMPLOYEE: "610100", InsuranceType.RESIDENT: "610100"}),
    "re_assistance": ("医疗救助（再救助）", {InsuranceType.EMPLOYEE: "610100", InsuranceType.RESIDENT: "610100"}),
}

OCCASIONAL_FUNDS = ("special_drugs", "large_expense")
"""On a statement only when they paid; the settlement row keeps them always (set since 2026-12)."""

ASSISTANCE_FUND_CODE = "610100"
"""医疗救助基金: the fund civil affairs pays hospitals back from (the period claim's payable amount)."""

ASSISTANCE_FUNDS = tuple(name for name, (_, codes) in FUND_LABELS.items()
                         if set(codes.values()) == {ASSISTANCE_FUND_CODE})
