"""The debtor's actions decided without I/O (services/portal/actions/rules.py)."""

import uuid
from datetime import date, datetime, time
from decimal import Decimal

import pytest

from services.portal.actions.rules import (
    ContactWindow,
    DisputeReason,
    PlanRules,
    call_problem,
    dispute_area,
    first_installment_date,
    installment_amount,
    least_down_payment,
    plan_problem,
    plan_request,
    promise_problem,
    receipt_problem,
    receipt_type,
    within_window,
)

TODAY = date(2026, 12, 7)  # a Monday


@pytest.mark.parametrize(
    ("promised", "fine"),
    [(TODAY, True), (date(2027, 1, 6), True), (date(2027, 1, 7), False), (date(2026, 12, 6), False)],
)
def test_seed_000_a_promise_lies_between_today_and_the_horizon(promised, fine):
    problem = promise_problem(promised, TODAY, 30)
    assert (problem is None) is fine
    if problem:
        assert problem.field == "promised_date" and dict(problem.values)["last"] == "2027-01-06"


WEEKDAYS = ContactWindow(time(8), time(20), frozenset({1, 2, 3, 4, 5, 6}))
NIGHT = ContactWindow(time(22), time(2), frozenset({5}))  # Friday 22:00 to Saturday 02:00


@pytest.mark.parametrize(
    ("at", "window", "inside"),
    [
        (datetime(2026, 12, 7, 8, 0), WEEKDAYS, True),
        (datetime(2026, 12, 7, 20, 0), WEEKDAYS, False),  # the end is open
        (datetime(2026, 12, 13, 10, 0), WEEKDAYS, False),  # Sunday
        (datetime(2026, 12, 11, 23, 0), NIGHT, True),  # Friday night
        (datetime(2026, 12, 12, 1, 30), NIGHT, True),  # after midnight: the window opened on Friday
        (datetime(2026, 12, 13, 1, 30), NIGHT, False),  # Sunday 01:30: Saturday opens none
        (datetime(2026, 12, 13, 3, 0), None, True),  # no window: any time
    ],
)
def test_seed_002_calls_only_inside_the_contact_window(at, window, inside):
    assert within_window(at, window) is inside


def test_a_call_in_the_past_or_outside_the_window_names_call_at():
    now = datetime(2026, 12, 7, 12, 0)
    assert call_problem(datetime(2026, 12, 7, 11, 0), now, WEEKDAYS).code == "error_call_past"
    assert call_problem(datetime(2026, 12, 7, 21, 0), now, WEEKDAYS).code == "error_call_window"
    assert call_problem(datetime(2026, 12, 8, 9, 0), now, WEEKDAYS) is None


RULES = PlanRules(3, Decimal("20"), Decimal("1000"), Decimal("100000"))


@pytest.mark.parametrize(
    ("debt", "installments", "down", "field", "code"),
    [
        ("500", 3, "100", "installments", "error_plan_debt_small"),
        ("200000", 3, "50000", "installments", "error_plan_debt_large"),
        ("85000", 4, "17000", "installments", "error_plan_installments"),
        ("85000", 1, "17000", "installments", "error_plan_installments"),
        ("85000", 3, "16999.99", "down_payment", "error_plan_down_small"),
        ("85000", 3, "85000", "down_payment", "error_plan_down_large"),
    ],
)
def test_seed_004_a_plan_outside_the_tenants_rules_names_the_rule(debt, installments, down, field, code):
    problem = plan_problem(Decimal(debt), installments, Decimal(down), RULES)
    assert problem is not None and (problem.field, problem.code) == (field, code)


def test_seed_004_three_installments_within_the_rules():
    assert plan_problem(Decimal("85000"), 3, Decimal("17000"), RULES) is None
    assert least_down_payment(Decimal("85000"), RULES) == Decimal("17000.00")
    assert installment_amount(Decimal("85000"), Decimal("25000"), 3) == Decimal("20000.00")


def test_seed_000_a_dispute_goes_to_its_reasons_area_else_to_others():
    price, other = uuid.uuid4(), uuid.uuid4()
    areas = {"price": str(price), "other": str(other)}
    assert dispute_area(DisputeReason.PRICE, areas) == price
    assert dispute_area(DisputeReason.DAMAGED, areas) == other
    assert dispute_area(DisputeReason.DAMAGED, {}) is None


def test_a_receipt_is_what_its_bytes_say():
    assert receipt_type(b"%PDF-1.7\n") == ("application/pdf", "pdf")
    assert receipt_type(b"\x89PNG\r\n\x1a\n\x00") == ("image/png", "png")
    assert receipt_type(b"\xff\xd8\xff\xe0") == ("image/jpeg", "jpg")
    assert receipt_type(b"MZ\x90\x00") is None  # an .exe, whatever its name says
    assert receipt_problem(b"", 100).code == "error_receipt_missing"
    assert receipt_problem(b"%PDF-" + b"0" * 200, 100).code == "error_receipt_large"
    assert receipt_problem(b"MZ\x90\x00", 100).code == "error_receipt_type"
    assert receipt_problem(b"%PDF-1.7", 100) is None


@pytest.mark.parametrize(
    ("today", "first"),
    [
        (date(2026, 12, 7), date(2027, 1, 7)),
        (date(2027, 1, 31), date(2027, 2, 28)),
        (date(2028, 1, 30), date(2028, 2, 29)),
        (date(2027, 3, 31), date(2027, 4, 30)),
    ],
)
def test_a_plan_asked_on_the_portal_pays_monthly_from_a_month_later(today, first):
    assert first_installment_date(today) == first


def test_the_proposal_sent_to_receivables_payment_plans():
    """Issue 19: the body of ``POST /v1/payment-plans`` as ``service:portal`` (seed 004: "a tres plazos")."""
    customer, invoice = uuid.uuid4(), uuid.uuid4()
    assert plan_request(customer, "ARS", 3, date(2027, 1, 7)) == {
        "customer_id": str(customer),
        "currency": "ARS",
        "rule": {"count": 3, "first_due_date": "2027-01-07", "every": "month"},
    }
    picked = plan_request(customer, "USD", 6, date(2027, 1, 7), Decimal("250.00"), [invoice])
    assert picked["down_payment"] == "250.00" and picked["invoice_ids"] == [str(invoice)]
    assert picked["rule"]["count"] == 6 and picked["currency"] == "USD"
