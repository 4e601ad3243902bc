from sqlalchemy import Numeric
from sqlalchemy.orm import DeclarativeBase

from shared.db import make_metadata

Yuan = Numeric(14, 2)
"""Amounts in yuan: the 14 digits of `shared.money.Money`."""


class Base(DeclarativeBase):
    metadata = make_metadata()
