from datetime import date

import pytest

from shared.id_number import InvalidIdNumber, check_digit, mask, mask_in_text, parse


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("370602199001011238", "bad_check_digit"),  # the valid one ends in 9
        ("37060219900101123", "wrong_length"),
        ("3706021990010112390", "wrong_length"),
        ("370602199002301230", "bad_birth_date"),  # 30 February
        ("370602189912311234", "bad_birth_date"),  # before 1900
        ("370602203001011234", "bad_birth_date"),  # in the future
        ("37060219900101123A", "bad_characters"),
        ("3706021990O101123X", "bad_characters"),
        ("３７０６０２１９９００１０１１２３９", "bad_characters"),  # fullwidth digits
    ],
)
def test_invalid_numbers_say_why(raw: str, reason: str) -> None:
    with pytest.raises(InvalidIdNumber) as caught:
        parse(raw, today=date(2026, 11, 23))
    assert caught.value.reason == reason


def test_valid_number_gives_birth_date_and_gender() -> None:
    person = parse("370602199001011239")
    assert person.birth_date == date(1990, 1, 1)
    assert person.gender == "male"  # 17th digit 3 is odd
    assert person.region_code == "370602"


def test_check_digit_x_and_lowercase_x_is_normalized() -> None:
    # GB 11643 example number 11010519491231002X: remainder 2 maps to X.
    assert check_digit("11010519491231002") == "X"
    assert parse("11010519491231002x").value == "11010519491231002X"
    assert parse("11010519491231002X").gender == "female"


def test_masking_keeps_first_six_and_last_four() -> None:
    assert mask("11010519491231002X") == "110105********002X"
    assert (
        mask_in_text("GET /v1/persons/11010519491231002X/eligibility id=370602199001011239")
        == "GET /v1/persons/110105********002X/eligibility id=370602********1239"
    )
    assert mask_in_text("order 1234567890123456789012") == "order 1234567890123456789012"
    assert mask_in_text("/v1/persons/370602199001011239abc") == "/v1/persons/370602********1239abc"
    assert mask_in_text("legacy 370602900101123") == "legacy 370602*****1123"  # 15 digits, before 1999
