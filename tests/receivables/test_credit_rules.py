"""Pure rules of issue 12 points 3 and 4: credits planned with the payments' allocation rule, and what an outcome
without invoice_ids may change. No I/O."""

import uuid
from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.receivables.invoices.rules import TransitionRefused
from services.receivables.outcomes.rules import InvoiceRefused, OutcomeInput, OutcomeKind, claimed_totals, plan_outcome
from services.receivables.payments.rules import Credit, Ledger, Named, OpenItem, plan_credits
from shared.contracts.common import InvoiceKind, InvoiceStatus

TODAY = date(2026, 12, 6)


def _item(amount, due, status=InvoiceStatus.NORMAL, kind=InvoiceKind.INVOICE):
    return OpenItem(uuid.uuid4(), D(amount), date.fromisoformat(due), date(2026, 1, 1), "", status, kind)


def test_credits_go_oldest_first_in_their_currency_older_credit_first():
    old, new, usd = _item("100", "2026-01-01"), _item("300", "2026-02-01"), _item("50", "2025-01-01")
    disputed = _item("80", "2025-06-01", InvoiceStatus.DISPUTE)
    ledger = Ledger([old, new, usd, disputed])
    currency = {old.invoice_id: "ARS", new.invoice_id: "ARS", usd.invoice_id: "USD", disputed.invoice_id: "ARS"}
    later = Credit("payment", uuid.uuid4(), "ARS", D("50"), date(2026, 5, 1))
    first = Credit("credit_note", uuid.uuid4(), "ARS", D("150"), date(2026, 3, 1))
    done = plan_credits([later, first], ledger, currency)
    assert [(c.source, r.allocations) for c, r in done] == [
        ("credit_note", ((old.invoice_id, D("100")), (new.invoice_id, D("50")))),
        ("payment", ((new.invoice_id, D("50")),)),
    ]
    assert ledger.items[usd.invoice_id].open_amount == D("50")
    assert ledger.items[disputed.invoice_id].open_amount == D("80")


def test_a_credit_naming_invoices_settles_only_those_and_waits_when_they_are_gone():
    old, named = _item("100", "2026-01-01"), _item("100", "2026-02-01")
    currency = {old.invoice_id: "ARS", named.invoice_id: "ARS"}
    credit = Credit("credit_note", uuid.uuid4(), "ARS", D("500"), TODAY, (Named(named.invoice_id),))
    ((_, result),) = plan_credits([credit], Ledger([old, named]), currency)
    assert (result.allocations, result.unapplied) == (((named.invoice_id, D("100")),), D("400"))
    gone = Credit("credit_note", uuid.uuid4(), "ARS", D("500"), TODAY, (Named(uuid.uuid4()),))
    assert plan_credits([gone], Ledger([old]), {old.invoice_id: "ARS"}) == []


def _plan(kind, statuses, named=False, **fields):
    invoices = {uuid.uuid4(): s for s in statuses}
    common = {"today": TODAY, "country": "AR", "default_follow_up_days": 3}
    return invoices, plan_outcome(OutcomeInput(kind, named_invoices=named, **fields), invoices, **common)


def test_an_outcome_without_invoices_acts_only_where_the_status_allows():
    s = InvoiceStatus
    statuses = [s.NORMAL, s.PROMISE_TO_PAY, s.PAYMENT_REPORTED, s.DISPUTE]
    ids, plan = _plan(OutcomeKind.PROMISE_TO_PAY, statuses, promised_date=TODAY)
    assert [ids[c.invoice_id] for c in plan.status_changes] == [s.NORMAL, s.PROMISE_TO_PAY]
    ids, plan = _plan(OutcomeKind.PAYMENT_REPORTED, statuses)
    assert [ids[c.invoice_id] for c in plan.status_changes] == [s.NORMAL, s.PROMISE_TO_PAY, s.PAYMENT_REPORTED]
    ids, plan = _plan(OutcomeKind.DISPUTE, statuses, dispute_area_id=uuid.uuid4())
    assert len(plan.status_changes) == 4
    ids, plan = _plan(OutcomeKind.UNREACHABLE, statuses)
    assert [ids[i] for i in plan.claimed] == [s.NORMAL] and len(plan.covered) == 4
    with pytest.raises(TransitionRefused):
        _plan(OutcomeKind.PROMISE_TO_PAY, [s.DISPUTE], promised_date=TODAY)


def test_a_named_invoice_that_cannot_take_the_outcome_is_named_in_the_refusal():
    with pytest.raises(InvoiceRefused) as refused:
        _plan(OutcomeKind.PROMISE_TO_PAY, [InvoiceStatus.NORMAL, InvoiceStatus.PAID], named=True, promised_date=TODAY)
    assert refused.value.position == 1
    with pytest.raises(InvoiceRefused) as refused:
        _plan(OutcomeKind.PROMISE_TO_PAY, [InvoiceStatus.DISPUTE], named=True, promised_date=TODAY)
    assert "dispute" in str(refused.value)
    _, plan = _plan(OutcomeKind.DISPUTE, [InvoiceStatus.PAYMENT_REPORTED], named=True, dispute_area_id=uuid.uuid4())
    assert len(plan.status_changes) == 1


def test_claimed_totals_are_net_of_credit_per_currency_never_below_zero():
    lines = [("ARS", D("100.00"), 10), ("ARS", D("50.00"), -3), ("USD", D("20.00"), 5)]
    overdue, owed = claimed_totals(lines, {"ARS": D("120.00"), "USD": D("30.00")})
    assert overdue == {"ARS": D("0.00"), "USD": D("0.00")}
    assert owed == {"ARS": D("30.00"), "USD": D("0.00")}


@given(
    st.lists(st.tuples(st.sampled_from(["ARS", "USD"]), st.integers(1, 5000), st.integers(0, 60)), max_size=8),
    st.lists(st.tuples(st.sampled_from(["ARS", "USD"]), st.integers(1, 8000)), max_size=4),
)
def test_credits_never_cross_currencies_nor_take_more_than_is_owed_or_given(invoices, credits):
    items = [_item(str(amount), f"2026-01-{1 + day % 28:02d}") for _, amount, day in invoices]
    currency = {item.invoice_id: c for item, (c, _, _) in zip(items, invoices, strict=True)}
    given_credits = [Credit("payment", uuid.uuid4(), c, D(a), TODAY) for c, a in credits]
    ledger = Ledger(items)
    done = plan_credits(given_credits, ledger, currency)
    for credit, result in done:
        assert result.applied + result.unapplied == credit.amount
        assert all(currency[i] == credit.currency for i, _ in result.allocations)
    for item in items:
        assert D(0) <= ledger.items[item.invoice_id].open_amount <= item.open_amount
    for c in ("ARS", "USD"):
        owed = sum((i.open_amount for i in items if currency[i.invoice_id] == c), D(0))
        given_c = sum((x.amount for x in given_credits if x.currency == c), D(0))
        applied = sum((r.applied for x, r in done if x.currency == c), D(0))
        assert applied == min(owed, given_c)  # nothing is left owed while credit of its currency waits
