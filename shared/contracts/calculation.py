"""The assistance calculation's contract: what one calculation takes and gives. The assistance
service serves it (POST /v1/calculations) and the settlement service calls it; both use these
models, so the two sides cannot drift apart."""

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.categories import Category, InsuranceType, MedicalType
from shared.money import ZERO, Money, NonNegativeMoney
from shared.types import BusinessDate

DiseaseClass = Annotated[Literal["ordinary", "major"] | None, Field(
    description="普通疾病/重特大疾病 (the 2018 policy pays them differently)",
)]
CauseCode = Annotated[str | None, Field(
    pattern=r"^[a-z_]{1,40}$", description="伤病原因代码 (e.g. traffic_accident; some policies exclude causes)",
)]

_PAID_NAMES = {
    "basic_insurance_paid": "基本医保统筹已付", "critical_illness_paid": "大病保险已付",
    "large_expense_paid": "职工大额医疗费用补助已付",
}


class Bill(BaseModel):
    """The discharge bill in summary (NHSA setlinfo names in the descriptions)."""

    model_config = ConfigDict(extra="forbid")

    total: NonNegativeMoney = Field(description="医疗费用总额 medfee_sumamt")
    full_self_pay: NonNegativeMoney = Field(default=ZERO, description="全自费 fulamt_ownpay_amt")
    over_limit_self_pay: NonNegativeMoney = Field(default=ZERO, description="超限价自费 overlmt_selfpay")
    pre_self_pay: NonNegativeMoney = Field(default=ZERO, description="先行自付 preselfpay_amt")
    special_drugs: NonNegativeMoney = Field(
        default=ZERO, description="大病保险特殊药品合规费用 (part of the policy-range amount, 004 §三(四)2)"
    )
    basic_insurance_paid: NonNegativeMoney | None = Field(
        default=None, description="基本医保统筹已付 hifp_pay (if the insurance core computed it)"
    )
    critical_illness_paid: NonNegativeMoney | None = Field(
        default=None, description="大病保险已付 hifmi_pay (if the insurance core computed it)"
    )
    large_expense_paid: NonNegativeMoney | None = Field(
        default=None, description="职工大额医疗费用补助已付 hifob_pay (employees; if the insurance core computed it)"
    )
    hospital_reduction: NonNegativeMoney = Field(default=ZERO, description="医疗机构减免 (001 §四)")
    donations: NonNegativeMoney = Field(default=ZERO, description="社会捐助 (001 §四)")

    @model_validator(mode="after")
    def _parts_fit(self) -> "Bill":
        if self.full_self_pay + self.over_limit_self_pay + self.pre_self_pay > self.total:
            raise ValueError(
                "全自费、超限价自费与先行自付之和超过医疗费用总额 "
                "(full self-pay + over-limit + pre-self-pay exceed the total)"
            )
        left = self.total - self.full_self_pay - self.over_limit_self_pay - self.pre_self_pay - self.special_drugs
        if left < 0:
            raise ValueError("特殊药品费用超过政策范围内费用 (special drugs exceed the policy-range amount)")
        for name in _PAID_NAMES:
            paid = getattr(self, name)
            if paid is not None:
                left -= paid
                if left < 0:
                    raise ValueError(
                        f"{_PAID_NAMES[name]}超过政策范围内费用的余额 "
                        f"({name} exceeds what is left of the policy-range amount)"
                    )
        return self


class YearToDate(BaseModel):
    """A person's accumulators for the year before this settlement (from the settlement ledger)."""

    model_config = ConfigDict(extra="forbid")

    admissions: int = Field(default=0, ge=0)
    basic_paid: NonNegativeMoney = ZERO
    critical_illness_burden: NonNegativeMoney = Field(default=ZERO, description="累计基本医保后个人负担")
    critical_illness_paid: NonNegativeMoney = ZERO
    assistance_base: NonNegativeMoney = Field(default=ZERO, description="累计救助基数(政策范围内个人负担)")
    assistance_paid: NonNegativeMoney = ZERO
    re_assistance_base: NonNegativeMoney = Field(default=ZERO, description="累计救助后个人负担")
    re_assistance_paid: NonNegativeMoney = ZERO
    special_drugs_cost: NonNegativeMoney = Field(default=ZERO, description="累计特殊药品合规费用")
    special_drugs_paid: NonNegativeMoney = ZERO
    large_expense_base: NonNegativeMoney = Field(default=ZERO, description="累计大病保险后个人负担（职工大额）")
    large_expense_paid: NonNegativeMoney = ZERO
    assistance_paid_inpatient: NonNegativeMoney = Field(default=ZERO, description="其中住院救助")
    assistance_paid_outpatient: NonNegativeMoney = Field(default=ZERO, description="其中门诊救助")
    assistance_paid_ordinary: NonNegativeMoney = Field(default=ZERO, description="其中普通疾病救助 (2018)")


class IllnessPovertyGrant(BaseModel):
    """One illness-caused-poverty grant (004 §三(七)): its window and what it has used of its cap."""

    model_config = ConfigDict(extra="forbid")

    window_from: BusinessDate = Field(description="追溯起点：申请之月前第12个月首日")
    window_until: BusinessDate = Field(description="认定年度末 (31 December of the approval year)")
    assistance_base: NonNegativeMoney = Field(default=ZERO, description="本次认定内累计救助基数")
    assistance_paid: NonNegativeMoney = Field(default=ZERO, description="本次认定内累计救助")

    @model_validator(mode="after")
    def _ordered(self) -> "IllnessPovertyGrant":
        if self.window_until < self.window_from:
            raise ValueError("救助认定期间的结束日早于起始日 (the grant window ends before it starts)")
        return self

    def covers(self, on: date) -> bool:
        return self.window_from <= on <= self.window_until


class CalculationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "region_code": "370602", "insurance_type": "resident", "medical_type": "inpatient",
        "discharged_on": "2023-03-20", "identities": ["minimum_allowance"],
        "bill": {"total": "50000", "full_self_pay": "3000", "pre_self_pay": "2000",
                 "basic_insurance_paid": "26520"},
        "year_to_date": {},
    }]})

    region_code: str = Field(
        pattern=r"^[0-9]{6}$", description="参保人所属区划：决定适用政策 (the beneficiary's region: picks the policy)",
    )
    hospital_region_code: str | None = Field(
        default=None, pattern=r"^[0-9]{6}$", description="医院所在区划 (where the hospital is)",
    )
    approved_outside_region: bool = Field(
        default=False, description="经批准在区外就医（镇街手工报销，台民字〔2017〕26号 二）：区外不再排除救助"
        " (care outside the policy's region approved beforehand, claimed through the township office)",
    )
    insurance_type: InsuranceType
    medical_type: MedicalType
    hospital_level: str | None = Field(default=None, max_length=16, description="level_1/level_2/level_3")
    discharged_on: BusinessDate = Field(description="出院日期：决定政策与年度 (picks the policy and the year)")
    identities: list[Category] = Field(default_factory=list, max_length=8, description="当日有效的救助身份")
    disease_class: DiseaseClass = None
    cause: CauseCode = None
    illness_poverty_grant: IllnessPovertyGrant | None = None
    bill: Bill
    year_to_date: YearToDate = Field(default_factory=YearToDate)


# POLICY.md §8 example 1 as the running system answers it (Yantai 2023, resident 低保, inpatient, a bill
# of 50,000 with basic insurance 26,520 given): the docs' examples of a calculation and a statement.
EXAMPLE_1_YEAR_TO_DATE_AFTER = {
    "admissions": 1, "basic_paid": "26520.00", "critical_illness_burden": "18480.00",
    "critical_illness_paid": "7462.00", "assistance_base": "11018.00", "assistance_paid": "8814.40",
    "re_assistance_base": "2203.60", "re_assistance_paid": "0.00", "special_drugs_cost": "0.00",
    "special_drugs_paid": "0.00", "large_expense_base": "0.00", "large_expense_paid": "0.00",
    "assistance_paid_inpatient": "8814.40", "assistance_paid_outpatient": "0.00", "assistance_paid_ordinary": "0.00",
}
EXAMPLE_1_TRACE = [  # the steps as returned, less their empty fields
    {"rule": "policy_range", "label": "符合政策范围金额 = 总额 − 全自费 − 超限价 − 先行自付", "base": "50000.00",
     "amount": "45000.00"},
    {"rule": "basic_insurance", "label": "基本医保统筹（医保核心已结算）", "base": "45000.00", "amount": "26520.00",
     "source": "given by the HIS / insurance core"},
    {"rule": "burden_after_basic", "label": "基本医保后政策范围内个人负担", "amount": "18480.00"},
    {"rule": "critical_illness_tilted", "label": "大病保险（特困/低保/返贫致贫倾斜）", "base": "18480.00",
     "threshold": "7000.00", "accumulator_before": "0.00", "accumulator_after": "18480.00", "amount": "7462.00",
     "source": "004 §三(四)1 居民：7000元起付，65/70/75/80%，不设年度最高支付限额"},
    {"rule": "assistance_base", "label": "救助基数（政策范围内个人负担）", "amount": "11018.00"},
    {"rule": "assistance", "label": "医疗救助（低保对象，住院；年度累计应付 8814.40 − 此前 0.00）", "base": "11018.00",
     "threshold": "0.00", "ratio": "0.80", "cap_remaining": "30000.00", "accumulator_before": "0.00",
     "accumulator_after": "11018.00", "amount": "8814.40",
     "source": "004 §三(六)1 低保对象80%，年度救助限额3万元（限额：all 余 30000.00）"},
    {"rule": "re_assistance", "label": "再救助（低保对象）（年度累计应付 0.00 − 此前 0.00）", "base": "2203.60",
     "threshold": "5000.00", "ratio": "0.70", "cap_remaining": "20000.00", "accumulator_before": "0.00",
     "accumulator_after": "2203.60", "amount": "0.00",
     "source": "004 §三(六)1 再救助：5000元以上70%，年度再救助限额2万元"},
    {"rule": "personal_share", "label": "个人自付 = 总额 − 各项基金支付", "amount": "7203.60"},
]


class TraceStep(BaseModel):
    rule: str = Field(description="规则代码 (rule code)")
    label: str = Field(description="中文说明 (for the clerk)")
    base: Money | None = None
    threshold: Money | None = None
    ratio: Decimal | None = None
    cap_remaining: Money | None = None
    accumulator_before: Money | None = None
    accumulator_after: Money | None = None
    amount: Money
    source: str | None = None


class Alternative(BaseModel):
    identity: Category
    assistance_total: Money = Field(description="救助+再救助 (assistance + re-assistance)")


class CalculationResult(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "policy_id": "yantai-2023", "identity_applied": "minimum_allowance", "reason": None,
        "policy_range": "45000.00", "basic_insurance": "26520.00", "basic_insurance_source": "given",
        "critical_illness": "7462.00", "special_drugs": "0.00", "large_expense": "0.00", "other_payments": "0.00",
        "assistance": "8814.40", "re_assistance": "0.00", "personal_share": "7203.60",
        "year_to_date_after": EXAMPLE_1_YEAR_TO_DATE_AFTER, "illness_poverty_grant_after": None,
        "annual_caps": {"assistance_paid": "30000.00", "re_assistance_paid": "20000.00"},
        "alternatives": [{"identity": "minimum_allowance", "assistance_total": "8814.40"}],
        "trace": EXAMPLE_1_TRACE, "large_expense_source": None, "unverified_parameters": [],
    }]})

    policy_id: str
    identity_applied: Category | None
    reason: str | None = Field(description="未予救助的原因 (why no assistance, if none)")
    policy_range: Money = Field(description="符合政策范围金额 inscp_scp_amt")
    basic_insurance: Money = Field(description="基本医保统筹 hifp_pay")
    basic_insurance_source: str = Field(description="given (HIS/core) or schedule")
    large_expense_source: Literal["given", "schedule", "missing"] | None = Field(
        default=None, description="职工大额的来源：given (hifob_pay from the core), schedule, or missing "
        "(an employee's assistance computed without it); none for residents",
    )
    critical_illness: Money = Field(description="大病保险 hifmi_pay")
    special_drugs: Money = Field(description="大病保险特殊药品")
    large_expense: Money = Field(description="职工大额医疗费用补助 hifob_pay")
    other_payments: Money = Field(description="医疗机构减免与社会捐助 (hospital reductions and donations)")
    assistance: Money = Field(description="医疗救助 maf_pay")
    re_assistance: Money = Field(description="再救助")
    personal_share: Money = Field(description="个人自付 psn_part_amt")
    year_to_date_after: YearToDate
    illness_poverty_grant_after: IllnessPovertyGrant | None = None
    annual_caps: dict[str, Money] = Field(
        description="本次所适用的年度限额，按累计项 (the annual cap each paid accumulator was held to)"
    )
    alternatives: list[Alternative]
    trace: list[TraceStep]
    unverified_parameters: list[str] = Field(
        default_factory=list, description="本次使用的未经核实的参数（仅当部署允许时） "
        "(the placeholder figures this settlement was paid from; only where the deployment allows them)",
    )
