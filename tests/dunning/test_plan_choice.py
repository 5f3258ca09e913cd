"""Which strategy follows an invoice (issue 19, seed 004: "Renegociar la deuda a tres plazos"): the pure rules
(``strategies/installments.py``, ``runs/rules.evaluate_customer``), with hypothesis. The run's SQL is held to them by
``test_selection_agrees.py``."""

import dataclasses
import uuid
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from dunning_service.projection.rules import Contact
from dunning_service.runs.rules import evaluate_customer, invoice_exclusion
from dunning_service.strategies.installments import follows_plan, invoice_choice, plan_strategy
from dunning_service.strategies.rules import (
    StepKind,
    StepSpec,
    default_strategy,
    select_strategy,
    selection_order,
)
from shared.contracts.common import Channel, InvoiceKind, InvoiceStatus
from tests.dunning.test_rules import NO_HOLIDAYS, STANDARD, customer, invoice, make_strategy

PLANS = dataclasses.replace(
    make_strategy(
        [
            StepSpec(StepKind.PRE_DUE, (Channel.WHATSAPP,), days=5),
            StepSpec(StepKind.OVERDUE, (Channel.EMAIL,), days=2, tone=2),
        ],
        strategy_id=uuid.UUID("00000000-0000-0000-0000-0000000000b1"),
        name="Cuotas",
        priority=0,
    ),
    for_payment_plans=True,
)
DEFAULT = dataclasses.replace(STANDARD, is_default=True)
PLAN = uuid.UUID("00000000-0000-0000-0000-0000000000e1")
DAY = date(2025, 6, 9)


def test_the_plans_strategy_is_never_a_customers():
    """Matching every customer with the best priority, it is still never chosen for one."""
    assert selection_order([PLANS, DEFAULT]) == []
    assert default_strategy([dataclasses.replace(PLANS, is_default=True)]) is None
    assert select_strategy([PLANS, DEFAULT], customer()).strategy is DEFAULT
    assert select_strategy([PLANS], customer()).strategy is None
    assert plan_strategy([PLANS, DEFAULT]) is PLANS
    assert plan_strategy([dataclasses.replace(PLANS, active=False), DEFAULT]) is None
    assert plan_strategy([DEFAULT]) is None


@given(
    kind=st.sampled_from(list(InvoiceKind)),
    in_plan=st.booleans(),
    with_plans=st.booleans(),
    customers=st.sampled_from([None, DEFAULT]),
)
def test_an_installment_of_a_plan_follows_the_plans_strategy_when_there_is_one(kind, in_plan, with_plans, customers):
    inv = invoice(DAY, kind=kind, plan_id=PLAN if in_plan else None)
    chosen = select_strategy([s for s in (customers,) if s], customer())
    followed = invoice_choice(inv, chosen, PLANS if with_plans else None)
    expected = PLANS if with_plans and kind == InvoiceKind.INSTALLMENT and in_plan else chosen.strategy
    assert followed.strategy is expected
    assert follows_plan(inv) == (kind == InvoiceKind.INSTALLMENT and in_plan)
    if followed.strategy is PLANS:
        assert str(PLAN) in followed.reason and "Cuotas" in followed.reason


def test_installments_are_reminded_by_the_plan_and_the_other_invoices_by_the_customers():
    """One customer, one day: its installment 3 days before its due date (the plans' pre-5, by WhatsApp), its
    invoice a day overdue (the customer's od-1), its grouped invoice paused; even a manual-only customer's
    installments follow the plans' strategy."""
    installment = invoice(date(2025, 6, 12), number="C-1", kind=InvoiceKind.INSTALLMENT, plan_id=PLAN)
    own = invoice(date(2025, 6, 8), number="F-9")
    grouped = invoice(date(2025, 5, 1), number="F-1", status=InvoiceStatus.IN_PLAN, plan_id=PLAN)
    who = customer(contacts=(*customer().contacts, Contact(Channel.WHATSAPP, "+5491155551234")))
    evaluation = evaluate_customer(who, [installment, own, grouped], [PLANS, DEFAULT], DAY, NO_HOLIDAYS, {})
    due = {
        d.invoice.number: (d.strategy.name if d.strategy else None, d.step.key if d.step else d.reason)
        for d in evaluation.decisions
    }
    assert due == {"C-1": ("Cuotas", "pre_due-5"), "F-9": ("Standard", "overdue-1"), "F-1": ("Standard", "in_plan")}
    assert invoice_exclusion(grouped, {})[0] == "in_plan"
    channels = {c.channel: [i.invoice.number for i in c.items] for c in evaluation.plan.communications}
    assert channels == {Channel.WHATSAPP: ["C-1"], Channel.EMAIL: ["F-9"]}
    # the grouped invoice is out of the message's position; the installment is in it
    for c in evaluation.plan.communications:
        assert {line.invoice.number for line in c.position.lines} == {"C-1", "F-9"}

    manual = dataclasses.replace(DEFAULT, manual_only=True, steps=())
    only_plan = evaluate_customer(who, [installment, own], [PLANS, manual], DAY, NO_HOLIDAYS, {})
    assert [i.invoice.number for i in only_plan.plan.items] == ["C-1"]
