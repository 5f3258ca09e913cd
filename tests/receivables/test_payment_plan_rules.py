"""Payment plans' pure rules (issue 19, seed 004: "Renegociar la deuda a tres plazos"): schedules computed by hand,
the limits, the break and completion decisions, the restoration of a broken plan's invoices; and properties."""

import uuid
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.receivables.payments.batch import NamedRef, PaymentInput, resolve_named
from services.receivables.payments.rules import Named
from services.receivables.plans import rules
from services.receivables.plans.rules import GroupedInvoice, InstallmentState, PlanInvalid, PlanLimits

D = Decimal
START = date(2026, 3, 16)


def test_three_installments_a_month_apart_the_remainder_on_the_last():
    s = rules.from_rule(
        principal=D("1000.00"), currency="ARS", count=3, first_due_date=date(2026, 4, 15), every="month", start=START
    )
    assert [(i.number, i.due_date, i.amount) for i in s.installments] == [
        (1, date(2026, 4, 15), D("333.33")),
        (2, date(2026, 5, 15), D("333.33")),
        (3, date(2026, 6, 15), D("333.34")),
    ]
    assert (s.interest_amount, s.total) == (D(0), D("1000.00"))


def test_a_down_payment_is_installment_zero_and_months_keep_the_last_day():
    s = rules.from_rule(
        principal=D("1200.00"),
        currency="ARS",
        count=3,
        first_due_date=date(2026, 1, 31),
        every="month",
        start=date(2026, 1, 10),
        down_payment=D("300.00"),
        down_payment_due_date=date(2026, 1, 15),
    )
    assert [(i.number, i.due_date, i.amount) for i in s.installments] == [
        (0, date(2026, 1, 15), D("300.00")),
        (1, date(2026, 1, 31), D("300.00")),
        (2, date(2026, 2, 28), D("300.00")),
        (3, date(2026, 3, 31), D("300.00")),
    ]


def test_interest_on_the_declining_balance_by_hand():
    # 36% a year, 900 financed in 3 installments of 300 every 30 days from the start:
    # 900 * 0.36 * 30/365 = 26.63; 600 * ... = 17.75; 300 * ... = 8.88 (half up)
    s = rules.from_rule(
        principal=D("900.00"),
        currency="ARS",
        count=3,
        first_due_date=START + timedelta(days=30),
        every=30,
        start=START,
        annual_rate=D(36),
    )
    assert [i.interest for i in s.installments] == [D("26.63"), D("17.75"), D("8.88")]
    assert [i.amount for i in s.installments] == [D("326.63"), D("317.75"), D("308.88")]
    assert (s.interest_amount, s.total) == (D("53.26"), D("953.26"))


def test_a_listed_schedule_must_repay_principal_plus_interest_less_down_payment():
    listed = [(START + timedelta(days=14), D("400.00")), (START + timedelta(days=28), D("500.00"))]
    s = rules.from_list(principal=D("1000.00"), currency="ARS", listed=listed, start=START, down_payment=D("100.00"))
    assert [i.number for i in s.installments] == [0, 1, 2]
    with pytest.raises(PlanInvalid) as exc:
        rules.from_list(principal=D("1000.00"), currency="ARS", listed=listed, start=START)
    assert exc.value.field == "schedule"
    with pytest.raises(PlanInvalid) as exc:
        rules.from_list(principal=D("900.00"), currency="ARS", listed=listed[::-1], start=START)
    assert (exc.value.field, "increase" in exc.value.message) == ("schedule", True)


def test_a_rule_schedule_listed_back_is_valid_with_its_interest():
    ruled = rules.from_rule(
        principal=D("5000"),
        currency="CLP",
        count=4,
        first_due_date=START + timedelta(days=10),
        every="2 weeks",
        start=START,
        annual_rate=D("24.5"),
    )
    assert all(i.amount == i.amount.quantize(D(1)) for i in ruled.installments)  # CLP has no decimals
    listed = rules.from_list(
        principal=D("5000"),
        currency="CLP",
        listed=[(i.due_date, i.amount) for i in ruled.installments],
        start=START,
        annual_rate=D("24.5"),
    )
    assert listed.interest_amount == ruled.interest_amount


def test_the_limits_name_their_field():
    s = rules.from_rule(
        principal=D("1000.00"),
        currency="ARS",
        count=4,
        first_due_date=START + timedelta(days=30),
        every="month",
        start=START,
        down_payment=D("50.00"),
    )
    rules.check_limits(s, D(0), PlanLimits(), START)
    cases = [
        (PlanLimits(max_installments=3), D(0), "installments"),
        (PlanLimits(max_days=90), D(0), "installments"),
        (PlanLimits(min_down_payment_percent=D(10)), D(0), "down_payment"),
        (PlanLimits(max_interest_annual_rate=D(20)), D(30), "interest_annual_rate"),
    ]
    for limits, rate, field in cases:
        with pytest.raises(PlanInvalid) as exc:
            rules.check_limits(s, rate, limits, START)
        assert exc.value.field == field


def test_limits_from_what_the_tenant_stored():
    limits = PlanLimits.from_stored({"max_installments": 3, "min_down_payment_percent": "10", "unknown": 1})
    assert (limits.max_installments, limits.min_down_payment_percent, limits.grace_days) == (3, D(10), 5)


def test_broken_on_the_day_after_due_date_plus_grace_completed_when_all_paid():
    due = date(2026, 4, 15)
    unpaid = [InstallmentState(due - timedelta(days=30), D(0)), InstallmentState(due, D("10.00"))]
    assert not rules.is_broken(unpaid, 5, due + timedelta(days=5))
    assert rules.is_broken(unpaid, 5, due + timedelta(days=6))
    assert not rules.is_broken([InstallmentState(due, D(0))], 0, due + timedelta(days=60))
    assert not rules.is_completed(unpaid)
    assert rules.is_completed([InstallmentState(due, D(0)), InstallmentState(due, D(0))])


def test_a_broken_plan_gives_what_it_collected_to_the_oldest_invoices_first():
    invoices = [
        GroupedInvoice("b", date(2026, 2, 1), date(2026, 1, 1), "B", D("500.00")),
        GroupedInvoice("a", date(2026, 1, 1), date(2025, 12, 1), "A", D("300.00")),
    ]
    restored = rules.restore(invoices, D("400.00"))
    assert [(r.invoice_id, r.open_amount) for r in restored] == [("a", D("0.00")), ("b", D("400.00"))]
    assert [(r.invoice_id, r.open_amount) for r in rules.restore(invoices, D(0))] == [
        ("a", D("300.00")),
        ("b", D("500.00")),
    ]


amounts = st.decimals(min_value=D("10.00"), max_value=D("1000000.00"), places=2)


@given(
    principal=amounts,
    count=st.integers(min_value=1, max_value=24),
    every=st.sampled_from(["month", "2 weeks", 7, 30]),
    rate=st.decimals(min_value=D(0), max_value=D(120), places=2),
    down_share=st.integers(min_value=0, max_value=50),
)
def test_schedules_repay_exactly_and_list_back(principal, count, every, rate, down_share):
    down = (principal * down_share / 100).quantize(D("0.01"))
    financed = principal - down
    if financed / count < D("0.01"):
        return
    s = rules.from_rule(
        principal=principal,
        currency="ARS",
        count=count,
        first_due_date=START + timedelta(days=1),
        every=every,
        start=START,
        down_payment=down,
        annual_rate=rate,
    )
    assert sum(i.amount for i in s.installments) == principal + s.interest_amount
    assert all(i.amount > 0 for i in s.installments)
    dates = [i.due_date for i in s.installments]
    assert dates == sorted(set(dates))
    financed_rows = [i for i in s.installments if i.number > 0]
    again = rules.from_list(
        principal=principal,
        currency="ARS",
        listed=[(i.due_date, i.amount) for i in financed_rows],
        start=START,
        down_payment=down,
        down_payment_due_date=dates[0] if down else None,
        annual_rate=rate,
    )
    assert again.interest_amount == s.interest_amount


@given(
    opens=st.lists(amounts, min_size=1, max_size=8),
    collected=st.decimals(min_value=D(0), max_value=D("9000000.00"), places=2),
)
def test_restoring_never_takes_more_than_collected_nor_owes_below_zero(opens, collected):
    invoices = [GroupedInvoice(k, START + timedelta(days=k), START, str(k), a) for k, a in enumerate(opens)]
    restored = rules.restore(invoices, collected)
    assert all(D(0) <= r.open_amount <= inv.open_amount for r, inv in zip(restored, invoices, strict=True))
    assert sum(r.applied for r in restored) == min(collected, sum(opens))
    # oldest first: an invoice keeps money owed only when every older one is fully covered... the other way round
    owing = [r.open_amount > 0 for r in restored]
    assert owing == sorted(owing)


def test_two_invoices_of_one_plan_named_by_a_payment_fill_its_installments_in_turn():
    """A payment naming 100 for each of two invoices waiting in one plan pays installments 1 and 2, not the first
    one twice (which left the second 100 unapplied)."""
    customer, plan = uuid.uuid4(), uuid.uuid4()
    a, b, i1, i2, i3 = (uuid.uuid4() for _ in range(5))
    waiting = {"customer_id": customer, "currency": "ARS", "kind": "invoice", "status": "in_plan", "plan_id": plan}
    refs = {("id", a): SimpleNamespace(id=a, **waiting), ("id", b): SimpleNamespace(id=b, **waiting)}
    refs[("plan", plan)] = [(i1, D("100.00")), (i2, D("100.00")), (i3, D("100.00"))]
    row = PaymentInput(
        index=0,
        customer_id=customer,
        currency="ARS",
        amount=D("250.00"),
        named=[NamedRef(a, None, D("100.00")), NamedRef(b, None, D("150.00"))],
    )
    assert resolve_named(row, refs) == [Named(i1, D("100.00")), Named(i2, D("100.00")), Named(i3, D("50.00"))]
