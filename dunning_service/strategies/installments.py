"""Which strategy follows an invoice (issue 19): the customer's (``rules.select_strategy``), except the installments
of a payment plan, which follow the tenant's strategy for payment plans when it has an active one.

Seed 004's fifth objective of a contact, "Renegociar la deuda a tres plazos": once the debt is renegotiated, each
installment is reminded before and after its own due date by a strategy of its own, while the customer's other
invoices keep the customer's strategy. Without such a strategy the installments follow the customer's.

Pure functions over plain values, no I/O. The run's SQL mirrors ``invoice_choice`` per invoice
(``runs/selection.py``: ``CompiledStrategies.k_sql``); ``tests/dunning/test_selection_agrees.py`` holds them to
agreement.
"""

from collections.abc import Iterable

from dunning_service.projection.rules import InvoiceView
from dunning_service.strategies.rules import Strategy, StrategyChoice
from shared.contracts.common import InvoiceKind


def plan_strategy(strategies: Iterable[Strategy]) -> Strategy | None:
    """The active strategy for payment plans' installments (at most one: a partial unique index), else None; the
    first by priority, name and id should several be given."""
    chosen = [s for s in strategies if s.active and s.for_payment_plans]
    return min(chosen, key=lambda s: (s.priority, s.name, str(s.id)), default=None)


def follows_plan(invoice: InvoiceView) -> bool:
    """An installment of a payment plan: receivables' invoice of kind ``installment`` naming its plan."""
    return invoice.kind == InvoiceKind.INSTALLMENT and invoice.plan_id is not None


def invoice_choice(invoice: InvoiceView, customer_choice: StrategyChoice, plans: Strategy | None) -> StrategyChoice:
    """The strategy ``invoice`` follows: ``plans`` for an installment of a plan, else the customer's."""
    if plans is None or not follows_plan(invoice):
        return customer_choice
    return StrategyChoice(
        plans, f"installment of payment plan {invoice.plan_id}: the payment plans' strategy {plans.name!r}"
    )
