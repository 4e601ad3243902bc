from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from services.settlement.reconciliation.rules import FUNDS, LABELS, MAX_LINES, NATIONAL_FIELDS, Kind
from services.settlement.settlements.schemas import HisSerial
from shared.money import Money, NonNegativeMoney
from shared.types import BusinessDate, HospitalCode

_EXAMPLE_FUNDS = {"basic_insurance": "26520.00", "critical_illness": "10665.60", "assistance": "8814.40",
                  "re_assistance": "0.00"}


def _national(name: str) -> str:
    return f"，对应 {NATIONAL_FIELDS[name]}" if name in NATIONAL_FIELDS else ""


FundSums = create_model(  # one field per reconciled fund (rules.FUNDS), none written twice
    "FundSums", __config__=ConfigDict(extra="forbid"),
    **{name: (NonNegativeMoney, Field(description=f"{LABELS[name]}{_national(name)}")) for name in FUNDS},
)


class Range(BaseModel):
    hospital_code: HospitalCode = Field(description="定点医疗机构编码，对应 fixmedins_code (the hospital)")
    from_date: BusinessDate = Field(description="对账开始日期（结算日），对应 stmt_begndate (first settlement day)")
    to_date: BusinessDate = Field(description="对账结束日期（结算日，含），对应 stmt_enddate (last settlement day)")


class TotalsRequest(Range):
    """The hospital's totals of its settlements in force over the settlement days (3201 对总账)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "hospital_code": "060001", "from_date": "2023-03-01", "to_date": "2023-03-31", "count": 2,
        "total": "100000.00", "fund_total": "92000.00",
        "funds": {"basic_insurance": "53040.00", "critical_illness": "21331.20", "assistance": "17628.80",
                  "re_assistance": "0.00"},
    }]})

    count: int = Field(ge=0, le=10_000_000, description="结算笔数，对应 fixmedins_setl_cnt (settlements)")
    total: NonNegativeMoney = Field(description="医疗费总额，对应 medfee_sumamt (the bills' total)")
    fund_total: NonNegativeMoney = Field(description="基金支付总额，对应 fund_pay_sumamt (what the funds paid)")
    funds: FundSums = Field(description="各基金支付合计 (each fund's sum)")  # type: ignore[valid-type]


class TotalsLine(BaseModel):
    item: str = Field(description="count / total / fund_total / 基金名 (a fund)")
    label: str
    national_field: str | None = Field(description="国家接口字段 (the national field), if any")
    ours: str = Field(description="我方 (ours)")
    theirs: str = Field(description="医院 (the hospital's)")
    difference: str = Field(description="我方减医院 (ours less theirs)")


class Run(Range):
    id: str
    kind: Literal["totals", "detail"]
    matched: bool = Field(description="是否平账，对应 stmt_rslt (whether the books match)")
    run_at: datetime
    run_by: str = Field(description="令牌主体 (the token subject)")


_RUN_EXAMPLE = {"id": "3f1c2b9a7d4e4f0a9b8c7d6e5f4a3b2c", "hospital_code": "060001", "from_date": "2023-03-01",
                "to_date": "2023-03-31", "run_at": "2023-04-02T01:00:00Z", "run_by": "his-060001"}


class Runs(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [_RUN_EXAMPLE | {
        "kind": "detail", "matched": True}]}]})

    items: list[Run] = Field(
        description="最近的对账记录，新者在前，至多 500 条 (the latest runs, newest first, 500 at most)")


class TotalsResult(Run):
    model_config = ConfigDict(json_schema_extra={"examples": [_RUN_EXAMPLE | {
        "kind": "totals", "matched": False, "lines": [
            {"item": "count", "label": "结算笔数", "national_field": "fixmedins_setl_cnt", "ours": "2", "theirs": "3",
             "difference": "-1"},
            {"item": "total", "label": "医疗费总额", "national_field": "medfee_sumamt", "ours": "100000.00",
             "theirs": "100000.00", "difference": "0.00"},
        ]}]})

    lines: list[TotalsLine] = Field(description="逐项：我方、医院、差额 (line by line: ours, theirs, difference)")


class DetailLine(BaseModel):
    """One settlement as the hospital's books have it (3202 对明细账)."""

    model_config = ConfigDict(extra="forbid")

    his_serial: HisSerial = Field(description="HIS结算流水号 (the HIS serial), setl_id 之位")
    total: NonNegativeMoney = Field(description="医疗费总额，对应 medfee_sumamt")
    cancelled: bool = Field(default=False, description="已撤销（退费结算），对应 refd_setl_flag (cancelled)")


DetailLineWithFunds = create_model(  # the same funds as FundSums, flat on the line as in the CSV
    "DetailLineWithFunds", __base__=DetailLine,
    **{name: (NonNegativeMoney, Field(description=f"{LABELS[name]}{_national(name)}")) for name in FUNDS},
)


class DetailRequest(Range):
    """The hospital's list of its settlements over the settlement days (JSON; a large list goes as CSV)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "hospital_code": "060001", "from_date": "2023-03-01", "to_date": "2023-03-31",
        "lines": [{"his_serial": "ZY20230320-0001", "total": "50000.00", **_EXAMPLE_FUNDS, "cancelled": False}],
    }]})

    lines: list[DetailLineWithFunds] = Field(max_length=MAX_LINES)  # type: ignore[valid-type]


class DifferenceOut(BaseModel):
    his_serial: str
    kind: Kind = Field(description="missing_there 我方已结算医院无 / missing_here 医院有我方无 /"
                       " amount_differs 金额不符 / cancelled_here_only 仅我方已撤销 /"
                       " cancelled_there_only 仅医院已撤销")
    item: str | None = Field(description="不符的金额项 (the amount that differs): total 或基金名")
    ours: Money | None
    theirs: Money | None
    difference: Money | None = Field(description="我方减医院 (ours less theirs)")


class DetailResult(Run):
    model_config = ConfigDict(json_schema_extra={"examples": [_RUN_EXAMPLE | {
        "kind": "detail", "matched": False,
        "summary": {"ours": 2, "theirs": 2, "missing_there": 1, "missing_here": 1, "amount_differs": 0,
                    "cancelled_here_only": 0, "cancelled_there_only": 0},
        "differences": [
            {"his_serial": "ZY20230320-0001", "kind": "missing_there", "item": None, "ours": "50000.00",
             "theirs": None, "difference": None},
            {"his_serial": "ZY20230320-0009", "kind": "missing_here", "item": None, "ours": None,
             "theirs": "1200.00", "difference": None},
        ], "differences_shown": 2}]})

    summary: dict[str, int] = Field(description="我方笔数、医院笔数、各类差异条数 (counts: ours, theirs, each kind)")
    differences: list[DifferenceOut] = Field(
        description="差异，按流水号排序，至多1000条；全部差异以 CSV 下载 (the first 1000; all of them as CSV)")
    differences_shown: int

