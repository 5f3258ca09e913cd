"""Money: a ``Decimal`` amount with an ISO 4217 currency. Amounts of different currencies are never added."""

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Annotated

from babel.numbers import get_currency_precision, list_currencies
from pydantic import AfterValidator, BaseModel, Field

# ISO 4217 codes that are not money anyone owes: "no currency", the testing code, precious metals, bond-market
# units, the IMF's special drawing right and other settlement units.
NOT_OWED = frozenset({"XXX", "XTS", "XAU", "XAG", "XPT", "XPD", "XBA", "XBB", "XBC", "XBD", "XDR", "XSU", "XUA"})
ISO_4217 = frozenset(list_currencies()) - NOT_OWED


def _check_currency(code: str) -> str:
    code = code.upper()
    if code in NOT_OWED:
        raise ValueError(f"{code!r} is an ISO 4217 code for no currency, a test, a metal or a unit of account")
    if code not in ISO_4217:
        raise ValueError(f"{code!r} is not an ISO 4217 currency code")
    return code


Currency = Annotated[
    str,
    Field(min_length=3, max_length=3, examples=["USD", "ARS", "MXN"], description="ISO 4217 code"),
    AfterValidator(_check_currency),
]


def minor_units(currency: str) -> int:
    """Decimal places of the currency (2 for USD, 0 for CLP and JPY, 3 for KWD)."""
    return get_currency_precision(currency)


def check_precision(amount: Decimal, currency: str) -> Decimal:
    """Refuse an amount with more decimals than the currency has (no silent rounding of money)."""
    exponent = amount.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    if places > minor_units(currency) and amount != amount.quantize(Decimal(1).scaleb(-minor_units(currency))):
        raise ValueError(f"{amount} has more decimals than {currency} allows ({minor_units(currency)})")
    return amount


class Money(BaseModel):
    amount: Decimal = Field(examples=["1250.50"])
    currency: Currency


def totals_by_currency(items: Iterable[tuple[str, Decimal]]) -> dict[str, Decimal]:
    """Sum ``(currency, amount)`` pairs per currency, never across currencies."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for currency, amount in items:
        totals[currency] += amount
    return dict(sorted(totals.items()))
