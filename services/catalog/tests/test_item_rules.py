"""The item rules, pure: a fee line's split (docs/rules.md §11) and what a catalog file changes.
Every figure is worked out by hand from the rules, in the comment beside it."""

from dataclasses import replace
from datetime import date
from decimal import Decimal as D

import pytest

from services.catalog.items.parsing import row_of
from services.catalog.items.rules import CatalogRow, Entry, classify, plan_catalog, split_line
from shared.contracts.items import FeeLine, check_fee_lines
from shared.errors import Unprocessable

DAY = date(2023, 3, 20)
A = Entry("A1", "甲类药", "drug", "A", D(0), None, date(2018, 1, 1))
A_LIMITED = Entry("A2", "床位费", "treatment", "A", D(0), D("40"), date(2018, 1, 1))
B = Entry("B1", "乙类限价药", "drug", "B", D("0.1"), D("50"), date(2018, 1, 1))
C = Entry("C1", "丙类耗材", "consumable", "C", D(0), None, date(2018, 1, 1))
B_ENDED = Entry("B2", "调出目录", "drug", "B", D("0.1"), None, date(2018, 1, 1), date(2022, 12, 31))


def line(sn: str, code: str, quantity: str, price: str, amount: str, original: str | None = None,
         on: date | None = None) -> FeeLine:
    return FeeLine(feedetl_sn=sn, original_sn=original, item_code=code, quantity=D(quantity), unit_price=D(price),
                   amount=D(amount), occurred_on=on)


def test_class_c_is_all_full_self_pay() -> None:
    assert split_line(line("1", "C1", "2", "33.33", "66.66"), C) == (D("66.66"), 0, 0)


def test_class_a_within_its_limit_is_all_policy_range() -> None:
    assert split_line(line("1", "A1", "3", "12.5", "37.50"), A) == (0, 0, 0)
    assert split_line(line("1", "A2", "10", "40", "400.00"), A_LIMITED) == (0, 0, 0)


def test_class_a_above_its_limit_pays_the_excess_as_over_limit() -> None:
    # (45 − 40) × 10 days = 50.00 over the limit; 甲类 has no pre-self-pay
    assert split_line(line("1", "A2", "10", "45", "450.00"), A_LIMITED) == (0, D("50.00"), 0)


def test_class_b_above_its_limit_pays_over_limit_then_the_ratio_of_the_rest() -> None:
    # 3 × 56.67 = 170.01; over limit (56.67 − 50) × 3 = 20.01; pre-self-pay 10% × (170.01 − 20.01) = 15.00
    assert split_line(line("1", "B1", "3", "56.67", "170.01"), B) == (0, D("20.01"), D("15.00"))


def test_pre_self_pay_rounds_half_up_to_the_fen_per_line() -> None:
    # 10% × 0.45 = 0.045 → 0.05 (half up); 10% × 0.44 = 0.044 → 0.04
    assert split_line(line("1", "B1", "1", "0.45", "0.45"), B)[2] == D("0.05")
    assert split_line(line("1", "B1", "1", "0.44", "0.44"), B)[2] == D("0.04")


def parts(result: object) -> list[tuple[D, D, D]]:
    return [(c.full_self_pay, c.over_limit_self_pay, c.pre_self_pay) for c in result.lines]  # type: ignore[attr-defined]


def test_a_refund_gives_back_exactly_what_its_charge_took() -> None:
    # the charge: 0.05 pre-self-pay (10% × 0.45, half up); its full refund gives back 0.05
    whole = classify([line("1", "B1", "1", "0.45", "0.45"), line("2", "B1", "-1", "0.45", "-0.45", original="1")],
                     {"B1": [B]}, DAY)
    assert parts(whole)[1] == (0, 0, D("-0.05")) and whole.pre_self_pay == 0
    # over limit: (56.67 − 50) × 3 = 20.01, pre 10% × 150.00 = 15.00; refunding 1 of 3 gives back a third
    # of each: 6.67 and 5.00
    third = classify([line("1", "B1", "3", "56.67", "170.01"), line("2", "B1", "-1", "56.67", "-56.67", original="1")],
                     {"B1": [B]}, DAY)
    assert parts(third)[1] == (0, D("-6.67"), D("-5.00"))


def test_partial_refunds_give_back_the_charge_in_proportion_and_all_of_it_in_the_end() -> None:
    # charge 2 × 0.25 = 0.50, 乙 10%: pre-self-pay 0.05. Refund 1 of 2: half of 0.05 = 0.025 → 0.03 (half
    # up); the second refund of 1 takes the rest, 0.02, so the two give back 0.05, the charge's own
    charge = line("1", "B1", "2", "0.25", "0.50")
    first = line("2", "B1", "-1", "0.25", "-0.25", original="1")
    one = classify([charge, first], {"B1": [B]}, DAY)
    assert parts(one)[1] == (0, 0, D("-0.03")) and one.pre_self_pay == D("0.02")
    both = classify([charge, first, line("3", "B1", "-1", "0.25", "-0.25", original="1")], {"B1": [B]}, DAY)
    assert parts(both)[1:] == [(0, 0, D("-0.03")), (0, 0, D("-0.02"))]
    assert (both.total, both.pre_self_pay) == (0, 0)


def test_a_refund_is_classified_by_its_originals_entry_not_its_own_date() -> None:
    # service date 2023-01-05. L1 B2 (乙 10%, ended 2022-12-31) 2 × 100 on 2022-12-30: pre 10% × 200 = 20.00.
    # L2 refunds all of L1 on 2023-01-02, after B2 ended: it gives back L1's 20.00 pre-self-pay (not
    # 200.00 of full self-pay by its own date). L3 丙 1 × 300: full self-pay 300.00.
    # total 200 − 200 + 300 = 300.00; full self-pay 300.00; pre-self-pay 20 − 20 = 0.00
    result = classify([
        line("L1", "B2", "2", "100", "200", on=date(2022, 12, 30)),
        line("L2", "B2", "-2", "100", "-200", original="L1", on=date(2023, 1, 2)),
        line("L3", "C1", "1", "300", "300"),
    ], {"B2": [B_ENDED], "C1": [C]}, date(2023, 1, 5))
    assert (result.total, result.full_self_pay, result.over_limit_self_pay, result.pre_self_pay) == (
        D("300.00"), D("300.00"), 0, D("0.00"))
    assert parts(result)[1] == (0, 0, D("-20.00"))
    assert (result.lines[1].category, result.lines[1].occurred_on) == ("B", date(2023, 1, 2))


def test_an_entry_not_in_force_on_the_date_makes_the_line_full_self_pay() -> None:
    versions = {"B2": [B_ENDED]}
    before = classify([line("1", "B2", "1", "100", "100", on=date(2022, 12, 31))], versions, DAY)
    after = classify([line("1", "B2", "1", "100", "100")], versions, DAY)
    assert (before.pre_self_pay, before.full_self_pay) == (D("10.00"), 0)
    assert (after.pre_self_pay, after.full_self_pay, after.lines[0].category) == (0, D("100"), None)


def test_the_entry_in_force_on_the_line_date_classifies_it() -> None:
    old = Entry("B3", "支架", "consumable", "B", D("0.3"), D("10000"), date(2018, 1, 1), date(2022, 12, 31))
    new = Entry("B3", "支架", "consumable", "B", D("0.3"), D("8000"), date(2023, 1, 1))
    versions = {"B3": [old, new]}
    # 2022: within the 10,000 limit, 30% × 9,000 = 2,700; 2023: (9,000 − 8,000) over, 30% × 8,000 = 2,400
    in_2022 = classify([line("1", "B3", "1", "9000", "9000", on=date(2022, 6, 1))], versions, DAY)
    in_2023 = classify([line("1", "B3", "1", "9000", "9000")], versions, DAY)
    assert (in_2022.over_limit_self_pay, in_2022.pre_self_pay) == (0, D("2700.00"))
    assert (in_2023.over_limit_self_pay, in_2023.pre_self_pay) == (D("1000.00"), D("2400.00"))


def test_the_sums_make_the_summary() -> None:
    lines = [line("1", "B1", "3", "56.67", "170.01"), line("2", "C1", "1", "80", "80.00"),
             line("3", "A1", "2", "25", "50.00"), line("4", "B1", "-1", "56.67", "-56.67", original="1")]
    result = classify(lines, {"A1": [A], "B1": [B], "C1": [C]}, DAY)
    # total 170.01 + 80 + 50 − 56.67 = 243.34; full self-pay 80 (丙); over limit 20.01 − 6.67 = 13.34;
    # pre-self-pay 15.00 − 5.00 = 10.00
    assert (result.total, result.full_self_pay, result.over_limit_self_pay, result.pre_self_pay) == (
        D("243.34"), D("80.00"), D("13.34"), D("10.00"))


def test_an_unknown_code_is_refused_naming_the_line() -> None:
    with pytest.raises(Unprocessable) as refused:
        classify([line("1", "A1", "1", "1", "1"), line("X9", "NOPE", "1", "1", "1")], {"A1": [A]}, DAY)
    assert refused.value.code == "unknown_item_code"
    assert refused.value.extra == {"line": 2, "feedetl_sn": "X9"}


@pytest.mark.parametrize(("lines", "code", "named"), [
    ([line("1", "A1", "3", "0.333", "1.00")], None, None),  # 0.999 against 1.00: within a fen
    ([line("1", "A1", "3", "0.33", "1.01")], "line_amount_mismatch", 1),  # 0.99 against 1.01: two fen
    ([line("1", "A1", "1", "5", "5"), line("1", "A1", "1", "5", "5")], "duplicate_feedetl_sn", 2),
    ([line("1", "A1", "-1", "5", "-5")], "refund_without_original", 1),
    ([line("1", "A1", "1", "5", "5"), line("2", "A1", "-1", "5", "-5", original="9")], "refund_original_missing", 2),
    ([line("1", "A1", "1", "5", "5"), line("2", "B1", "-1", "5", "-5", original="1")], "refund_original_mismatch", 2),
    ([line("1", "A1", "1", "5", "5"), line("2", "A1", "-2", "5", "-10", original="1")], "refund_exceeds_original", 2),
    ([line("1", "A1", "1", "5", "5", original="0")], "original_on_charge_line", 1),
    ([line("1", "A1", "0", "5", "-0.01")], "amount_sign_mismatch", 1),  # no quantity, a negative amount
    ([line("1", "A1", "1", "0", "0"), line("2", "A1", "-1", "0", "0.01", original="1")],
     "amount_sign_mismatch", 2),  # a refund charging a fen
    # each line fits an amount; together they charge more than 9,999,999,999.99
    ([line("1", "A1", "1", "9999999999.99", "9999999999.99"), line("2", "A1", "1", "0.01", "0.01")],
     "bill_total_too_large", 2),
])
def test_the_form_of_the_lines(lines: list[FeeLine], code: str | None, named: int | None) -> None:
    if code is None:
        check_fee_lines(lines)
        return
    with pytest.raises(Unprocessable) as refused:
        check_fee_lines(lines)
    assert (refused.value.code, refused.value.extra["line"]) == (code, named)


def test_a_bill_at_the_money_limit_is_taken() -> None:
    check_fee_lines([line("1", "A1", "1", "9999999999.98", "9999999999.98"), line("2", "A1", "1", "0.01", "0.01")])


# --- the catalog file --------------------------------------------------------------------------------

HEADER_ROW = {"code": "B1", "name": "乙类限价药", "kind": "药品", "category": "乙类", "ratio": "10%",
              "price_limit": "50", "valid_from": "2018-01-01", "valid_to": ""}


def file_row(row_no: int = 2, **changes: str) -> CatalogRow:
    return row_of(row_no, HEADER_ROW | changes)


def test_a_row_is_read_into_an_entry() -> None:
    assert file_row().entry == B
    assert file_row(ratio="0.1", category="乙", valid_from="2018/1/1").entry == B


@pytest.mark.parametrize("changes", [
    {"code": "含中文"}, {"name": ""}, {"kind": "器械"}, {"category": "丁"}, {"ratio": ""}, {"ratio": "120%"},
    {"ratio": "1.5"}, {"category": "甲类", "ratio": "10%"}, {"price_limit": "-1"}, {"price_limit": "abc"},
    {"valid_from": ""}, {"valid_from": "2023-02-30"}, {"valid_to": "2017-12-31"}, {"name": "a\x00b"},
])
def test_a_row_that_cannot_be_read_is_a_rejection(changes: dict[str, str]) -> None:
    row = file_row(**changes)
    assert row.entry is None and row.problem


def test_a_new_code_is_added_the_same_again_unchanged() -> None:
    plan = plan_catalog([file_row()], {})
    assert plan.counts() == {"accepted": 1, "rejected": 0, "added": 1, "changed": 0, "unchanged": 0, "ended": 0}
    again = plan_catalog([file_row()], {"B1": [replace(B, row_id=7)]})
    assert again.count("unchanged") == 1 and not again.inserts and not again.updates


def test_a_later_version_closes_the_one_in_force_the_day_before() -> None:
    stored = {"B1": [replace(B, row_id=7)]}
    plan = plan_catalog([file_row(price_limit="45", valid_from="2023-01-01")], stored)
    assert plan.count("changed") == 1
    assert plan.updates[7].valid_to == date(2022, 12, 31) and plan.updates[7].price_limit == D("50")
    [new] = plan.inserts.values()
    assert (new.valid_from, new.valid_to, new.price_limit) == (date(2023, 1, 1), None, D("45"))


def test_an_end_date_newly_given_ends_the_entry() -> None:
    stored = {"B1": [replace(B, row_id=7)]}
    plan = plan_catalog([file_row(valid_to="2023-06-30")], stored)
    assert plan.count("ended") == 1 and plan.updates[7].valid_to == date(2023, 6, 30)


def test_a_correction_under_the_same_start_date_changes_that_version() -> None:
    stored = {"B1": [replace(B, row_id=7)]}
    plan = plan_catalog([file_row(ratio="15%")], stored)
    assert plan.count("changed") == 1 and plan.updates[7].pre_self_pay_ratio == D("0.15") and not plan.inserts


def test_rows_that_cannot_apply_are_rejected_with_their_reason() -> None:
    stored = {"B1": [replace(B, valid_to=date(2022, 12, 31), row_id=7),
                     replace(B, valid_from=date(2023, 1, 1), row_id=8)]}
    plan = plan_catalog([
        file_row(2, valid_from="2020-01-01"),  # between two versions
        file_row(3, valid_to=""),  # the 2018 version reopened over the 2023 one
        file_row(4, code="X1"), file_row(5, code="X1"),  # the same code and start twice
        file_row(6, kind="?"),
    ], stored)
    assert [(o.row_no, o.reason_code) for o in plan.rejections()] == [
        (2, "before_latest_entry"), (3, "overlaps_later_entry"), (5, "duplicate_row"), (6, "bad_row")]
    assert plan.count("added") == 1


def test_several_versions_of_a_code_in_one_file_chain() -> None:
    plan = plan_catalog([file_row(3, valid_from="2023-01-01", price_limit="45"), file_row(2)], {})
    first, second = sorted(plan.inserts.values(), key=lambda e: e.valid_from)
    assert first.valid_to == date(2022, 12, 31) and second.valid_to is None
    assert [(o.row_no, o.action) for o in plan.outcomes] == [(2, "added"), (3, "changed")]
