"""The portal's defaults, and whether a tenant's settings hold together."""

from decimal import Decimal
from typing import Final

DEFAULT_LINK_VALID_DAYS: Final = 30
# Seed 004: "renegociar la deuda a tres plazos".
DEFAULT_PLAN_MAX_INSTALLMENTS: Final = 3
DEFAULT_PROMISE_MAX_DAYS: Final = 30


def plan_limits_problem(min_amount: Decimal | None, max_amount: Decimal | None) -> str | None:
    """A floor above the ceiling would let no debt ask for a plan: say so instead of storing it."""
    if min_amount is not None and max_amount is not None and min_amount > max_amount:
        return "plan_min_amount is above plan_max_amount"
    return None
