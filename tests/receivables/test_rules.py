"""The pure domain rules, without I/O: status machine, allocation, outcomes, promises, calendar, hashtags, KPIs."""

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.receivables.invoices.rules import (
    MANUAL_TRANSITIONS,
    FieldInvalid,
    TransitionRefused,
    after_ingest,
    after_payment,
    after_reversal,
    check_manual_transition,
    status_details,
)
from services.receivables.kpis.rules import aging_bucket, collection_effectiveness, countback_dso
from services.receivables.notes.rules import parse_hashtags
from services.receivables.outcomes.rules import OutcomeInput, OutcomeKind, plan_outcome
from services.receivables.payments.rules import Named, OpenItem, allocate, oldest_first
from services.receivables.promises.rules import PromiseStatus, is_broken, on_payment
from services.receivables.tenant_settings.calendar import (
    follow_up_date,
    is_business_day,
    next_business_day,
    tenant_today,
)
from shared.contracts.common import InvoiceStatus

S = InvoiceStatus
D = Decimal


# --- status machine (seed 000) -------------------------------------------------------------------------------


def test_only_payments_make_an_invoice_paid_and_closed_statuses_are_final():
    for status in S:
        with pytest.raises(TransitionRefused):
            check_manual_transition(status, S.PAID)
    for closed in (S.PAID, S.WRITTEN_OFF, S.VOID):
        assert MANUAL_TRANSITIONS[closed] == frozenset()
    check_manual_transition(S.NORMAL, S.PROMISE_TO_PAY)
    check_manual_transition(S.DISPUTE, S.DISPUTE)  # another area
    with pytest.raises(TransitionRefused):
        check_manual_transition(S.NORMAL, S.NORMAL)


def test_payment_effects_on_status():
    assert after_payment(S.DISPUTE, D("0.00")) == S.PAID  # fully paid is paid, whatever the status
    assert after_payment(S.WRITTEN_OFF, D(0)) == S.PAID
    assert after_payment(S.PAYMENT_REPORTED, D("10")) == S.NORMAL  # a payment settles a reported payment
    assert after_payment(S.PROMISE_TO_PAY, D("10")) == S.PROMISE_TO_PAY
    assert after_reversal(S.PAID, D("10")) == S.NORMAL
    assert after_reversal(S.DISPUTE, D("10")) == S.DISPUTE


@pytest.mark.parametrize(
    ("current", "requested", "open_amount", "expected"),
    [
        (None, None, D(100), S.NORMAL),
        (None, None, D(0), S.PAID),
        (None, "void", D(100), S.VOID),
        (S.PROMISE_TO_PAY, None, D(50), S.PROMISE_TO_PAY),  # the collectors' status stays
        (S.PROMISE_TO_PAY, None, D(0), S.PAID),
        (S.PAID, None, D(10), S.NORMAL),  # the ERP says it owes again
        (S.WRITTEN_OFF, None, D(10), S.WRITTEN_OFF),
        (S.WRITTEN_OFF, "open", D(10), S.NORMAL),
        (S.VOID, None, D(0), S.VOID),
        (S.DISPUTE, "written_off", D(10), S.WRITTEN_OFF),
    ],
)
def test_ingest_status(current, requested, open_amount, expected):
    assert after_ingest(current, requested, open_amount) == expected


def test_status_details():
    today = date(2026, 3, 10)
    assert status_details(S.PROMISE_TO_PAY, today=today, promised_date=today) == (today, None, None)
    assert status_details(S.PAYMENT_REPORTED, today=today) == (None, today, None)
    with pytest.raises(FieldInvalid, match="past"):
        status_details(S.PROMISE_TO_PAY, today=today, promised_date=today - timedelta(days=1))
    with pytest.raises(FieldInvalid) as error:
        status_details(S.NORMAL, today=today, dispute_area_id=uuid.uuid4())
    assert error.value.field == "dispute_area_id"


# --- payment allocation ---------------------------------------------------------------------------------------

amounts = st.decimals(min_value=0, max_value=10_000, places=2, allow_nan=False, allow_infinity=False)


@st.composite
def open_items(draw):
    count = draw(st.integers(0, 8))
    base = date(2026, 1, 1)
    return [
        OpenItem(
            uuid.UUID(int=i + 1),
            draw(amounts),
            base + timedelta(days=draw(st.integers(0, 90))),
            base,
            f"N{i}",
            draw(st.sampled_from([S.NORMAL, S.PROMISE_TO_PAY, S.PAYMENT_REPORTED, S.DISPUTE])),
        )
        for i in range(count)
    ]


@given(amount=amounts, items=open_items())
def test_oldest_first_allocation_properties(amount, items):
    result = allocate(amount, items)
    # nothing is lost or invented; nobody gets more than it owes
    assert result.applied + result.unapplied == amount
    owed = {i.invoice_id: i.open_amount for i in items}
    assert all(0 < share <= owed[invoice_id] for invoice_id, share in result.allocations)
    # disputed invoices are never paid by default
    disputed = {i.invoice_id for i in items if i.status == S.DISPUTE}
    assert not disputed & {invoice_id for invoice_id, _ in result.allocations}
    # oldest first: every invoice before the last one paid is paid in full
    order = [i.invoice_id for i in oldest_first(items)]
    paid = dict(result.allocations)
    if paid:
        last = max(order.index(i) for i in paid)
        assert all(paid.get(i) == owed[i] for i in order[:last])
    # credit only when every eligible invoice is paid in full
    if result.unapplied > 0:
        assert all(paid.get(i) == owed[i] for i in order)


@given(amount=amounts, items=open_items(), data=st.data())
def test_named_allocation_properties(amount, items, data):
    if not items:
        return
    named = [
        Named(i.invoice_id, data.draw(st.none() | amounts))
        for i in data.draw(st.lists(st.sampled_from(items), min_size=1, max_size=4, unique=True))
    ]
    result = allocate(amount, items, named)
    assert result.applied + result.unapplied == amount
    names = {n.invoice_id: n.amount for n in named}
    owed = {i.invoice_id: i.open_amount for i in items}
    for invoice_id, share in result.allocations:
        assert invoice_id in names  # only named invoices are paid
        assert share <= owed[invoice_id]
        assert names[invoice_id] is None or share <= names[invoice_id]


def test_partial_and_overpayment_examples():
    a = OpenItem(uuid.UUID(int=1), D("500"), date(2026, 1, 10), date(2026, 1, 1))
    b = OpenItem(uuid.UUID(int=2), D("300"), date(2026, 1, 5), date(2026, 1, 1))
    assert allocate(D("400"), [a, b]).allocations == ((b.invoice_id, D("300")), (a.invoice_id, D("100")))
    over = allocate(D("1000"), [a, b])
    assert over.unapplied == D("200")
    named = allocate(D("1000"), [a, b], [Named(a.invoice_id, D("50"))])
    assert (named.allocations, named.unapplied) == (((a.invoice_id, D("50")),), D("950"))


# --- outcomes (seed 000) ----------------------------------------------------------------------------------------

TODAY = date(2026, 3, 20)  # a Friday; 2026-03-23 and 24 are public holidays in Argentina


def test_unreachable_plans_an_email_and_a_call_the_next_business_day():
    invoice_id = uuid.uuid4()
    plan = plan_outcome(
        OutcomeInput(OutcomeKind.UNREACHABLE),
        {invoice_id: "normal"},
        today=TODAY,
        country="AR",
        default_follow_up_days=3,
        language="en",
    )
    assert plan.status_changes == []
    assert plan.email_invoices is True
    assert (plan.task.title, plan.task.due_date) == ("Call the customer again", date(2026, 3, 25))


def test_each_outcome_changes_what_it_must():
    ids = {uuid.uuid4(): "normal", uuid.uuid4(): "dispute"}
    area = uuid.uuid4()
    common = {"today": TODAY, "country": "AR", "default_follow_up_days": 3}
    promise = plan_outcome(OutcomeInput(OutcomeKind.PROMISE_TO_PAY, promised_date=TODAY), ids, **common)
    assert {(c.status, c.promised_date) for c in promise.status_changes} == {(S.PROMISE_TO_PAY, TODAY)}
    assert (promise.task, promise.email_invoices) == (None, False)
    reported = plan_outcome(OutcomeInput(OutcomeKind.PAYMENT_REPORTED), ids, **common)
    assert {(c.status, c.reported_date) for c in reported.status_changes} == {(S.PAYMENT_REPORTED, TODAY)}
    dispute = plan_outcome(OutcomeInput(OutcomeKind.DISPUTE, dispute_area_id=area), ids, **common)
    assert {(c.status, c.dispute_area_id) for c in dispute.status_changes} == {(S.DISPUTE, area)}
    none = plan_outcome(OutcomeInput(OutcomeKind.NO_COMMITMENT, note="x", follow_up_days=1), ids, **common)
    assert none.status_changes == []
    assert none.task.due_date == date(2026, 3, 25)  # Saturday rolls past the weekend and two holidays
    with pytest.raises(FieldInvalid):
        plan_outcome(OutcomeInput(OutcomeKind.UNREACHABLE, promised_date=TODAY), ids, **common)
    with pytest.raises(TransitionRefused):
        plan_outcome(OutcomeInput(OutcomeKind.PROMISE_TO_PAY, promised_date=TODAY), {}, **common)
    with pytest.raises(TransitionRefused):
        plan_outcome(OutcomeInput(OutcomeKind.PROMISE_TO_PAY, promised_date=TODAY), {uuid.uuid4(): "paid"}, **common)


# --- promises ---------------------------------------------------------------------------------------------------


def test_promise_kept_or_broken_with_grace_days():
    promised = date(2026, 3, 10)
    assert on_payment(promised, 2, date(2026, 3, 12)) == PromiseStatus.KEPT
    assert on_payment(promised, 2, date(2026, 3, 13)) == PromiseStatus.BROKEN
    assert not is_broken(promised, 2, date(2026, 3, 12), fully_paid=False)
    assert is_broken(promised, 2, date(2026, 3, 13), fully_paid=False)
    assert not is_broken(promised, 2, date(2026, 4, 1), fully_paid=True)


# --- calendar ---------------------------------------------------------------------------------------------------


def test_business_days_follow_the_country():
    assert next_business_day(TODAY, "AR") == date(2026, 3, 25)
    assert next_business_day(TODAY, "US") == date(2026, 3, 23)
    assert next_business_day(TODAY, None) == date(2026, 3, 23)
    assert next_business_day(date(2026, 3, 19), "IL") == date(2026, 3, 22)  # Israel's weekend is Fri-Sat
    assert not is_business_day(date(2026, 12, 25), "MX")
    assert follow_up_date(TODAY, 3, "AR") == date(2026, 3, 25)
    assert next_business_day(TODAY, "XX") == date(2026, 3, 23)  # unknown to the library: weekends only


@given(st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)), st.sampled_from(["AR", "MX", "BR", "CL"]))
def test_next_business_day_is_the_first_after(day, country):
    following = next_business_day(day, country)
    assert following > day
    assert is_business_day(following, country)
    assert all(not is_business_day(day + timedelta(days=n), country) for n in range(1, (following - day).days))


def test_tenant_today_uses_the_tenant_timezone():
    moment = datetime(2026, 3, 20, 2, 30, tzinfo=UTC)
    assert tenant_today("America/Argentina/Buenos_Aires", moment) == date(2026, 3, 19)
    assert tenant_today("Asia/Tokyo", moment) == date(2026, 3, 20)
    assert tenant_today(None, moment) == date(2026, 3, 20)


# --- hashtags (seed 004) ------------------------------------------------------------------------------------------


def test_hashtags():
    note = "Hablé con Pedro #Olvido, retira #cheque-diferido mañana. Depósito #23763172736 (C#) #olvido #Señal"
    assert parse_hashtags(note) == ["olvido", "cheque-diferido", "señal"]
    assert parse_hashtags(None) == []
    assert parse_hashtags("email a pagos@x.com#nope") == []


@given(st.text())
def test_hashtags_never_fail_and_are_clean(text):
    tags = parse_hashtags(text)
    assert len(tags) == len(set(tags))
    assert all(t == t.lower() and not t.isdigit() and "#" not in t for t in tags)


# --- KPI formulas --------------------------------------------------------------------------------------------------


def test_aging_buckets():
    assert [aging_bucket(d) for d in (-5, 0, 1, 30, 31, 60, 61, 90, 91, 120, 121, 999)] == [
        "current",
        "current",
        "1-30",
        "1-30",
        "31-60",
        "31-60",
        "61-90",
        "61-90",
        "91-120",
        "91-120",
        "120+",
        "120+",
    ]


def test_countback_and_cei_examples():
    # receivables 2200 against months of 400, 600, 500, 1000 sales: 31 + 30 + 31 + 0.7 * 30 = 113
    assert countback_dso(D(2200), [(D(400), 31), (D(600), 30), (D(500), 31), (D(1000), 30)]) == (D(113), False)
    assert countback_dso(D(5000), [(D(400), 31), (D(0), 30)]) == (D(61), True)
    assert countback_dso(D(0), [(D(400), 31)]) == (D(0), False)
    assert collection_effectiveness(D(2400), D(400), D(2200), D(400)) == D(25)
    assert collection_effectiveness(D(0), D(0), D(0), D(0)) is None
