"""Who a person is on a date: pure, over rows already loaded."""

from collections.abc import Iterable
from datetime import date

from services.registry.identities.models import IdentityRow
from services.registry.identities.rules import Window
from shared.categories import PRECEDENCE, Category


def identities_in_force(identities: Iterable[IdentityRow], on: date) -> list[IdentityRow]:
    """The identities whose next-month window contains `on`, in the precedence of POLICY.md §1."""
    in_force = [i for i in identities if Window(i.effective_from, i.effective_until).contains(on)]
    return sorted(in_force, key=lambda i: (PRECEDENCE.index(Category(i.category)), i.id))
