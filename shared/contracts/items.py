"""Itemized bills: the fee details a HIS may send instead of the summary (NHSA interface 2301,
费用明细上传, names in the descriptions) and the catalog's classification of them. Settlement takes
the lines and asks the catalog (POST /v1/items:classify); both use these models and the one check
of the lines' form (`check_fee_lines`), so the two sides cannot drift apart.

A refund line (退费) has a negative quantity and amount and names the line it refunds
(`original_sn`, 2301 init_feedetl_sn) in the same bill."""

from collections.abc import Sequence
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, create_model

from shared.contracts.calculation import Bill
from shared.errors import Unprocessable
from shared.money import CENT, MAX_AMOUNT, ZERO, Money
from shared.types import BusinessDate

MAX_LINES = 5000
"""Lines in one bill: a long inpatient stay has a few thousand (2,000 settle in one request)."""

ItemCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,50}$")]
FeeSerial = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{1,30}$")]
Quantity = Annotated[Decimal, Field(allow_inf_nan=False, max_digits=12, decimal_places=4)]
UnitPrice = Annotated[Decimal, Field(allow_inf_nan=False, ge=0, max_digits=16, decimal_places=6)]
ItemCategory = Literal["A", "B", "C"]
"""甲类 (in the catalog, fully) / 乙类 (in the catalog, with a pre-self-pay share) / 丙类 (out of it)."""
ItemKind = Literal["drug", "treatment", "consumable"]
AMOUNT_TOLERANCE = CENT
"""How far a line's amount may be from quantity × unit price (the HIS rounds the product to the fen)."""


class FeeLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    feedetl_sn: FeeSerial = Field(description="费用明细流水号 feedetl_sn (unique in the bill)")
    original_sn: FeeSerial | None = Field(
        default=None, description="原费用明细流水号 init_feedetl_sn：退费行必填 (the line a refund refunds)",
    )
    item_code: ItemCode = Field(description="医保目录编码 med_list_codg")
    quantity: Quantity = Field(description="数量 cnt：退费为负 (negative for a refund)")
    unit_price: UnitPrice = Field(description="单价 pric")
    amount: Money = Field(description="明细项目费用总额 det_item_fee_sumamt = 数量 × 单价")
    occurred_on: BusinessDate | None = Field(
        default=None,
        description="费用发生日期 fee_ocur_time：按当日目录分类，默认出院日期 (default: the discharge date)",
    )


_FUNDING = ("special_drugs", "basic_insurance_paid", "critical_illness_paid", "large_expense_paid",
            "hospital_reduction", "donations")
_Funding = create_model(  # the summary's other fields, defined once in `Bill`
    "_Funding", __config__=ConfigDict(extra="forbid"),
    **{name: (Bill.model_fields[name].annotation, Bill.model_fields[name]) for name in _FUNDING},  # type: ignore[call-overload]
)


class ItemizedBill(_Funding):  # type: ignore[valid-type,misc]
    """The bill as fee details: the catalog's classification of the lines gives the summary's total
    and its three self-pay parts; the other summary fields are sent as they are."""

    lines: list[FeeLine] = Field(min_length=1, max_length=MAX_LINES, description="费用明细 (2301 feedetail)")

    def summary(self, classified: "Classification") -> Bill:
        funding = {name: getattr(self, name) for name in _FUNDING}
        return Bill.model_validate({
            "total": classified.total, "full_self_pay": classified.full_self_pay,
            "over_limit_self_pay": classified.over_limit_self_pay, "pre_self_pay": classified.pre_self_pay,
            **funding,
        })


class ClassifyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service_date: BusinessDate = Field(description="未注明发生日期的明细按此日分类 (date of lines without one)")
    lines: list[FeeLine] = Field(min_length=1, max_length=MAX_LINES)


class ClassifiedLine(BaseModel):
    feedetl_sn: str
    original_sn: str | None
    item_code: str
    item_name: str | None = Field(description="目录名称 (None when no entry is in force on the date)")
    category: ItemCategory | None = Field(description="当日目录类别；None 为当日无有效目录条目 (no entry in force)")
    quantity: Decimal
    unit_price: Decimal
    amount: Money
    occurred_on: BusinessDate
    full_self_pay: Money = Field(description="全自费 fulamt_ownpay_amt")
    over_limit_self_pay: Money = Field(description="超限价自费 overlmt_amt")
    pre_self_pay: Money = Field(description="先行自付 preselfpay_amt")


class Classification(BaseModel):
    lines: list[ClassifiedLine]
    total: Money = Field(description="医疗费用总额 medfee_sumamt")
    full_self_pay: Money
    over_limit_self_pay: Money
    pre_self_pay: Money

    @classmethod
    def of(cls, lines: list[ClassifiedLine]) -> "Classification":
        return cls(
            lines=lines, total=sum((line.amount for line in lines), ZERO),
            full_self_pay=sum((line.full_self_pay for line in lines), ZERO),
            over_limit_self_pay=sum((line.over_limit_self_pay for line in lines), ZERO),
            pre_self_pay=sum((line.pre_self_pay for line in lines), ZERO),
        )


def line_problem(index: int, line: FeeLine, detail: str, code: str) -> Unprocessable:
    """A refusal naming the line: its position (1-based) and its serial."""
    return Unprocessable(f"第{index}行（{line.feedetl_sn}）：{detail}", code=code,
                         extra={"line": index, "feedetl_sn": line.feedetl_sn})


def check_fee_lines(lines: Sequence[FeeLine]) -> None:
    """The lines' form, before anything is classified: unique serials, amount = quantity × price
    (within a fen) and of the quantity's sign, a refund names a charge line of the bill with the same
    item and refunds no more than it charged, and the charges add up to at most `MAX_AMOUNT` (so that
    every sum of the classification, refunds being within their charges, is an amount)."""
    by_serial: dict[str, tuple[int, FeeLine]] = {}
    refunded: dict[str, Decimal] = {}
    charged_total = ZERO
    for index, line in enumerate(lines, start=1):
        if line.feedetl_sn in by_serial:
            raise line_problem(index, line, "费用明细流水号重复 (feedetl_sn repeats an earlier line)",
                               "duplicate_feedetl_sn")
        by_serial[line.feedetl_sn] = (index, line)
        if abs(line.quantity * line.unit_price - line.amount) > AMOUNT_TOLERANCE:
            raise line_problem(index, line, f"金额{line.amount}与数量×单价不符 (amount is not quantity × unit price)",
                               "line_amount_mismatch")
        if (line.quantity >= 0 and line.amount < 0) or (line.quantity < 0 and line.amount > 0):
            raise line_problem(index, line, "金额与数量须同号：退费行数量为负 (the amount has the quantity's sign;"
                               " a refund has a negative quantity)", "amount_sign_mismatch")
        if line.quantity >= 0:
            charged_total += line.amount
            if charged_total > MAX_AMOUNT:
                problem = line_problem(index, line, f"费用明细合计超过上限 {MAX_AMOUNT} 元"
                                       f" (the lines add up to more than the limit of {MAX_AMOUNT} yuan)",
                                       "bill_total_too_large")
                problem.extra["limit"] = str(MAX_AMOUNT)
                raise problem
            if line.original_sn is not None:
                raise line_problem(index, line, "只有退费行（数量为负）可指向原明细 (only a refund names an original)",
                                   "original_on_charge_line")
            continue
        if line.original_sn is None:
            raise line_problem(index, line, "退费行（数量为负）须注明原明细流水号 (a refund names its original line)",
                               "refund_without_original")
        original = by_serial.get(line.original_sn)
        if original is None:
            raise line_problem(index, line, f"原明细 {line.original_sn} 不在本单之前的明细中"
                               " (the refunded line is not an earlier line of this bill)", "refund_original_missing")
        charged = original[1]
        if charged.quantity < 0 or charged.item_code != line.item_code or charged.unit_price != line.unit_price:
            raise line_problem(index, line, "退费行须与原明细为同一项目同一单价 (a refund is of its original's item and"
                               " unit price)", "refund_original_mismatch")
        refunded[line.original_sn] = refunded.get(line.original_sn, Decimal(0)) - line.quantity
        if refunded[line.original_sn] > charged.quantity:
            raise line_problem(index, line, "退费数量超过原明细数量 (refunds more than the original charged)",
                               "refund_exceeds_original")


_EXAMPLE_LINE = FeeLine(feedetl_sn="FD0003", item_code="XA01ABC012A001010100001", quantity=Decimal(3),
                        unit_price=Decimal("0.33"), amount=Decimal("1.01"))
LINE_PROBLEM_EXAMPLES = (
    line_problem(3, _EXAMPLE_LINE, "医保目录中无此编码 XA01ABC012A001010100001 (unknown item code)",
                 "unknown_item_code"),
    line_problem(3, _EXAMPLE_LINE, "金额1.01与数量×单价不符 (amount is not quantity × unit price)",
                 "line_amount_mismatch"),
    line_problem(3, _EXAMPLE_LINE, "退费行（数量为负）须注明原明细流水号 (a refund names its original line)",
                 "refund_without_original"),
)
"""How a refusal naming a line reads (the docs of the routes that take fee lines)."""


def problem_extra(problem: Any) -> dict[str, Any]:
    """The line a remote refusal named, if it named one (a catalog 422 forwarded by settlement)."""
    return {key: problem[key] for key in ("line", "feedetl_sn") if key in problem}
