"""Resident identity numbers (公民身份号码, GB 11643-1999): 18 characters, check digit, birth date.

Pure functions; the registry validates every person with them and the settlement service every
ID number a HIS sends. A lowercase final `x` is accepted and normalized to `X`: HIS systems send
both and the number is the same.
"""

import re
from dataclasses import dataclass
from datetime import date
from typing import Annotated

from pydantic import AfterValidator, StringConstraints, WithJsonSchema
from pydantic_core import PydanticCustomError

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
# ASCII digits only: \d would also take fullwidth and other Unicode digits.
_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")
# In free text: 18-character numbers and the 15-digit numbers issued before 1999.
_ANYWHERE = re.compile(r"(?<![0-9])([0-9]{6})[0-9]{8}([0-9]{3}[0-9Xx])(?![0-9])")
_LEGACY_ANYWHERE = re.compile(r"(?<![0-9])([0-9]{6})[0-9]{5}([0-9]{4})(?![0-9])")


class InvalidIdNumber(ValueError):
    """The reason is in `reason` (a stable code) and the message (for people)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class IdNumber:
    value: str
    birth_date: date
    gender: str  # "male" / "female", from the parity of the 17th digit
    region_code: str  # the 6-digit address code of first registration

    @property
    def masked(self) -> str:
        return mask(self.value)


def check_digit(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def parse(raw: str, *, today: date | None = None) -> IdNumber:
    value = raw.strip().upper()
    if len(value) != 18:
        raise InvalidIdNumber(
            "wrong_length", f"身份证号码应为18位，收到{len(value)}位 (ID number must have 18 characters)"
        )
    if not _SHAPE.match(value):
        raise InvalidIdNumber(
            "bad_characters", "身份证号码前17位须为数字，末位为数字或X (17 digits then a digit or X)"
        )
    try:
        birth = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError as exc:
        raise InvalidIdNumber("bad_birth_date", "身份证号码中的出生日期不存在 (no such birth date)") from exc
    if birth.year < 1900 or birth > (today or date.today()):
        raise InvalidIdNumber("bad_birth_date", "身份证号码中的出生日期不合理 (birth date out of range)")
    expected = check_digit(value[:17])
    if value[17] != expected:
        raise InvalidIdNumber("bad_check_digit", "身份证号码校验位错误 (check digit does not match)")
    return IdNumber(
        value=value,
        birth_date=birth,
        gender="male" if int(value[16]) % 2 else "female",
        region_code=value[:6],
    )


def mask(value: str) -> str:
    """First 6 and last 4 characters kept: 370602********123X."""
    return value[:6] + "*" * (len(value) - 10) + value[-4:] if len(value) > 10 else "*" * len(value)


def mask_in_text(text: str) -> str:
    """Mask every ID number found in free text (log lines, paths, query strings)."""
    text = _ANYWHERE.sub(lambda m: m.group(1) + "********" + m.group(2), text)
    return _LEGACY_ANYWHERE.sub(lambda m: m.group(1) + "*****" + m.group(2), text)


def _validate_for_pydantic(raw: str) -> str:
    try:
        return parse(raw).value
    except InvalidIdNumber as exc:
        raise PydanticCustomError(f"id_number_{exc.reason}", str(exc)) from exc


IdNumberStr = Annotated[
    str,
    StringConstraints(min_length=1, max_length=32),
    AfterValidator(_validate_for_pydantic),
    WithJsonSchema({
        "type": "string", "pattern": r"^[0-9]{17}[0-9Xx]$",
        "description": "18位公民身份号码，含校验位 (18-character ID number with GB 11643 check digit)",
        "examples": ["370602199001011239"],
    }),
]
"""A valid ID number as a pydantic field or path parameter; errors carry type id_number_<reason>."""
