"""Field types for what clients send, so bad input is a 422 at the edge, never a database error."""

from datetime import date
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

# Business dates: nothing before the oldest policy or after the horizon any settlement can have.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2099, 12, 31)
BusinessDate = Annotated[date, Field(ge=FIRST_DAY, le=LAST_DAY)]
# A hospital's code: the 6 digits of the 2018 list, or the longer codes ops register since.
HospitalCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{6,12}$")]


def printable(value: str) -> str:
    # NUL and other control characters are refused by PostgreSQL text or make records unreadable.
    if any(ch < " " or "\x7f" <= ch <= "\x9f" for ch in value):
        raise ValueError("不允许控制字符 (control characters are not allowed)")
    return value


def plain_text(max_length: int) -> object:
    """A trimmed, non-empty line of text without control characters."""
    return Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length),
        AfterValidator(printable),
    ]
