from decimal import Decimal

import pytest
from pydantic import BaseModel, ValidationError

from shared.money import Money, NonNegativeMoney, to_yuan


class Bill(BaseModel):
    total: NonNegativeMoney
    adjustment: Money = Decimal("0")


def test_rounding_is_half_up_to_the_fen() -> None:
    assert to_yuan("2203.605") == Decimal("2203.61")
    assert to_yuan("2203.604") == Decimal("2203.60")
    assert to_yuan(Decimal("-0.005")) == Decimal("-0.01")
    assert to_yuan(7462) == Decimal("7462.00")


def test_accepts_json_numbers_and_strings_and_serializes_as_strings() -> None:
    bill = Bill.model_validate_json('{"total": 50000.1, "adjustment": "-12.5"}')
    assert bill.total == Decimal("50000.10")
    assert bill.model_dump_json() == '{"total":"50000.10","adjustment":"-12.50"}'
    # 0.1 + 0.2 as floats would be 0.30000000000000004; a JSON number is parsed exactly.
    assert Bill.model_validate_json('{"total": 0.3}').total == Decimal("0.30")


@pytest.mark.parametrize("raw", ['"12.345"', '"abc"', '-1', '"NaN"', '"Infinity"', "true", '"1e20"'])
def test_rejects_what_is_not_an_amount(raw: str) -> None:
    with pytest.raises(ValidationError):
        Bill.model_validate_json(f'{{"total": {raw}}}')


@pytest.mark.parametrize(("raw", "error"), [
    ('"12.345"', "decimal_max_places"), ('"1000000000000"', "decimal_whole_digits"),
    ('"-1000000000000"', "decimal_whole_digits"), ('"1e30"', "decimal_whole_digits"), ('"NaN"', "finite_number"),
])
def test_an_amount_has_at_most_twelve_digits_before_the_point_and_two_after(raw: str, error: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Bill.model_validate_json(f'{{"total": 1, "adjustment": {raw}}}')
    assert caught.value.errors()[0]["type"] == error


def test_the_widest_amounts_and_trailing_zeros_are_accepted_and_minus_zero_is_zero() -> None:
    bill = Bill.model_validate_json('{"total": "1.500", "adjustment": "-999999999999.99"}')
    assert (bill.total, bill.adjustment) == (Decimal("1.50"), Decimal("-999999999999.99"))
    assert Bill.model_validate_json('{"total": 1, "adjustment": "-0.00"}').model_dump_json() == (
        '{"total":"1.00","adjustment":"0.00"}')


@pytest.mark.parametrize("raw", ['"１００"', '"1_000"', '"١٠٠"', '"100.５"', '"1\u00a0000"'])
def test_an_amount_is_written_in_ascii_digits_only(raw: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Bill.model_validate_json(f'{{"total": {raw}}}')
    [error] = caught.value.errors()
    assert error["type"] == "decimal_ascii_digits"
    assert error["msg"] == "金额只能用半角数字 0-9 书写 (an amount is written in ASCII digits 0-9 only)"


@pytest.mark.parametrize(("raw", "amount"), [('"1234.5"', "1234.50"), ('"-0.5"', "-0.50"), ('" 12 "', "12.00"),
                                             ('"5."', "5.00"), ('".5"', "0.50"), ('"1e3"', "1000.00"), ("7", "7.00")])
def test_ascii_amounts_in_their_usual_forms_are_read(raw: str, amount: str) -> None:
    assert Bill.model_validate_json(f'{{"total": "0", "adjustment": {raw}}}').adjustment == Decimal(amount)


@pytest.mark.parametrize(("raw", "error", "message"), [
    ('"-1"', "greater_than_equal", "Input should be greater than or equal to 0"),
    ('"-0.01"', "greater_than_equal", "Input should be greater than or equal to 0"),
    ('"10000000000"', "less_than_equal", "Input should be less than or equal to Decimal('9999999999.99')"),
    ('"-1.001"', "decimal_max_places", None),  # the places are checked before the range
    ('"-1000000000000"', "decimal_whole_digits", None),
])
def test_a_non_negative_amount_is_between_zero_and_the_largest_total(raw: str, error: str, message: str | None) -> None:
    """The range with pydantic's own errors, as when it was Field(ge=0, le=MAX_AMOUNT) on `Money`."""
    assert Bill.model_validate_json('{"total": "9999999999.99"}').total == Decimal("9999999999.99")
    with pytest.raises(ValidationError) as caught:
        Bill.model_validate_json(f'{{"total": {raw}}}')
    [found] = caught.value.errors()
    assert found["type"] == error
    assert message is None or found["msg"] == message
