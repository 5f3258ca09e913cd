"""Late charges' pure decisions (issue 19, point 2): which changes a charge may take, and the totals a statement or a
message shows. A charge is a document of its own: it is never added into an invoice's amount, and its totals are kept
per currency (never added across currencies)."""

from collections.abc import Iterable
from decimal import Decimal
from typing import Protocol

from shared.contracts.common import ChargeStatus


class Priced(Protocol):
    @property
    def currency(self) -> str: ...

    @property
    def amount(self) -> Decimal: ...


def may_close(status: ChargeStatus) -> bool:
    """Only an open charge may be waived or invoiced: a waived charge is no longer owed and an invoiced one is the
    ERP's own document now; either change is final."""
    return status is ChargeStatus.OPEN


def refusal(status: ChargeStatus, target: ChargeStatus) -> str:
    """The 409's words when a charge that is ``status`` cannot become ``target``."""
    verb = "waived" if target is ChargeStatus.WAIVED else "invoiced"
    return f"The charge is {status.value}: only an open charge can be {verb}"


def totals_by_currency(charges: Iterable[Priced]) -> dict[str, Decimal]:
    """The sum of the charges' amounts per currency, currencies in alphabetical order."""
    totals: dict[str, Decimal] = {}
    for charge in charges:
        totals[charge.currency] = totals.get(charge.currency, Decimal(0)) + charge.amount
    return dict(sorted(totals.items()))
