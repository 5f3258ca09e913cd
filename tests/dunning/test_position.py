"""Unit tests of the customer's position (issue 12): every dunning message states the whole debt, as seed 004's
model email does ("tienen [2] facturas vencidas por un monto de [$ 123.123,12], la más antigua ya tiene [84] días
vencida"), and its tone follows the age of that debt (seed 004, principle 8)."""

import uuid
from datetime import date, timedelta
from decimal import Decimal

from dunning_service.projection.rules import Contact, CustomerView, InvoiceView, position
from dunning_service.runs.rules import DueItem, communication_tone, plan_customer
from dunning_service.strategies import convert
from dunning_service.strategies.rules import StepKind, StepSpec, assign_keys
from shared.contracts.common import Channel, InvoiceKind, InvoiceStatus
from shared.contracts.messaging import tone_by_age

DAY = date(2025, 6, 4)
CUSTOMER_ID = uuid.UUID("00000000-0000-0000-0000-0000000000c1")
STRATEGY_ID = uuid.UUID("00000000-0000-0000-0000-00000000000a")
STEPS = assign_keys(
    STRATEGY_ID,
    [
        StepSpec(StepKind.PRE_DUE, (Channel.EMAIL,), days=3),
        StepSpec(StepKind.OVERDUE, (Channel.EMAIL,), days=1, tone=1),
        StepSpec(StepKind.OVERDUE, (Channel.EMAIL,), days=15, tone=2, pin_tone=True),
    ],
)
PRE_DUE, OD_1, OD_15_PINNED = STEPS


def inv(number: str, days_overdue: int, amount: str = "1000", currency: str = "ARS", **kw) -> InvoiceView:
    due = DAY - timedelta(days=days_overdue)
    base = {
        "id": uuid.uuid4(),
        "customer_id": CUSTOMER_ID,
        "number": number,
        "currency": currency,
        "amount": Decimal(amount),
        "open_amount": Decimal(amount),
        "issue_date": due - timedelta(days=30),
        "due_date": due,
    }
    return InvoiceView(**{**base, **kw})


def customer(credits: dict[str, Decimal] | None = None) -> CustomerView:
    return CustomerView(
        id=CUSTOMER_ID,
        name="Lácteos del Plata S.A.",
        contacts=(Contact(Channel.EMAIL, "pagos@lacteos.example"),),
        extra={"credits": credits or {}},
    )


def the_five() -> dict[str, InvoiceView]:
    """Seed 004's customer, as issue 12's done-when has it: three overdue, one upcoming, one promised."""
    return {
        "A-30": inv("A-30", 30),
        "A-84": inv("A-84", 84, "2500.50"),
        "A-5": inv("A-5", 5, "700"),
        "A-UP": inv("A-UP", -10, "400"),
        "A-PR": inv("A-PR", 40, "900", status=InvoiceStatus.PROMISE_TO_PAY, promised_date=DAY + timedelta(days=8)),
    }


def test_seed_004_position_lists_every_open_invoice_overdue_oldest_first_then_upcoming():
    five = the_five()
    held = position(five.values(), {}, DAY, frozenset({five["A-5"].id}))
    assert [line.invoice.number for line in held.lines] == ["A-84", "A-PR", "A-30", "A-5", "A-UP"]
    assert [line.days_overdue for line in held.lines] == [84, 40, 30, 5, -10]
    assert [line.triggered for line in held.lines] == [False, False, False, True, False]


def test_seed_004_paused_invoices_are_listed_but_not_demanded_counted_or_aged():
    five = the_five()
    five["A-84"] = inv("A-84", 84, "2500.50", status=InvoiceStatus.DISPUTE)
    held = position(five.values(), {}, DAY)
    demanded = {line.invoice.number: line.demanded for line in held.lines}
    assert demanded == {"A-84": False, "A-PR": False, "A-30": True, "A-5": True, "A-UP": True}
    promised = next(line for line in held.lines if line.invoice.number == "A-PR")
    assert promised.invoice.promised_date == DAY + timedelta(days=8)
    assert held.overdue_count == 2
    assert held.oldest_days_overdue == 30  # the disputed 84-day invoice and the promised one do not age it
    assert held.totals == {"ARS": Decimal("1700")}
    assert held.open_totals == {"ARS": Decimal("2100")}


def test_seed_004_totals_are_per_currency_net_of_that_currencys_credit_never_below_zero():
    invoices = [
        inv("A-1", 20, "1000"),
        inv("A-2", 3, "500"),
        inv("A-UP", -5, "300"),
        inv("U-1", 10, "40", "USD"),
        inv("E-1", 12, "10", "EUR"),
    ]
    credits = {"ARS": Decimal("200"), "USD": Decimal("75"), "BRL": Decimal("9")}
    held = position(invoices, credits, DAY)
    assert held.totals == {"ARS": Decimal("1300"), "EUR": Decimal("10"), "USD": Decimal("0")}
    assert held.open_totals == {"ARS": Decimal("1600"), "EUR": Decimal("10"), "USD": Decimal("0")}
    assert held.credits == credits  # a BRL credit is never spent on ARS or USD
    assert held.overdue_count == 4
    assert held.oldest_days_overdue == 20


def test_credit_notes_closed_unowed_and_unlisted_invoices_stay_out_of_the_position():
    """Credit notes reach the message only through the customer's snapshot ``credits`` (receivables decides)."""
    invoices = [
        inv("A-1", 10),
        inv("NC-1", 10, "300", kind=InvoiceKind.CREDIT_NOTE),
        inv("A-PAID", 10, status=InvoiceStatus.PAID),
        inv("A-ZERO", 10, open_amount=Decimal(0)),
        inv("A-GONE", 10, missing_upstream=True),
    ]
    held = position(invoices, {}, DAY)
    assert [line.invoice.number for line in held.lines] == ["A-1"]
    assert held.totals == {"ARS": Decimal("1000")}
    assert held.credits == {}


def test_nothing_overdue_means_no_overdue_total_no_count_and_no_age():
    held = position([inv("A-UP", -3, "300"), inv("A-TODAY", 0, "200")], {}, DAY)
    assert held.totals == {}
    assert held.open_totals == {"ARS": Decimal("500")}
    assert held.overdue_count == 0
    assert held.oldest_days_overdue is None


def test_seed_004_tone_by_age_three_levels():
    assert [tone_by_age(d) for d in (None, -3, 0, 15, 16, 45, 46, 120)] == [1, 1, 1, 1, 2, 2, 3, 3]


def test_seed_004_tone_follows_the_oldest_overdue_invoice_unless_the_step_pins_it():
    assert communication_tone([OD_1], 84) == 3
    assert communication_tone([OD_1], 20) == 2
    assert communication_tone([OD_1], None) == 1
    assert communication_tone([OD_15_PINNED], 84) == 2  # pinned: the strategy's tone stands
    assert communication_tone([PRE_DUE, OD_1], 3) == 1


def test_one_message_when_one_invoice_reaches_a_step_carries_the_whole_position():
    """Issue 12's done-when on the rules: one invoice reaches a step, the one message states all five."""
    five = the_five()
    trigger = DueItem(five["A-5"], OD_1, STRATEGY_ID)
    plan = plan_customer(customer({"ARS": Decimal("500")}), [trigger], DAY, open_invoices=list(five.values()))
    (comm,) = plan.communications
    assert [i.invoice.number for i in comm.items] == ["A-5"]  # the step is recorded for the trigger only
    held = comm.position
    assert [(line.invoice.number, line.triggered) for line in held.lines] == [
        ("A-84", False),
        ("A-PR", False),
        ("A-30", False),
        ("A-5", True),
        ("A-UP", False),
    ]
    assert held.overdue_count == 3
    assert held.oldest_days_overdue == 84
    assert held.totals == {"ARS": Decimal("3700.50")}  # 2500.50 + 1000 + 700 - 500
    assert held.open_totals == {"ARS": Decimal("4100.50")}
    assert comm.tone == 3  # od-1 asks for tone 1; the 84-day invoice calls for the firm one


def test_a_run_plans_the_tone_from_the_debts_age_and_builds_the_position_as_it_writes():
    """The run's SQL gives the age of the oldest overdue demanded invoice (``debt_age``); the tone is the same as
    with the whole position (``test_selection_agrees`` holds the two to agreement on random portfolios)."""
    five = the_five()
    trigger = DueItem(five["A-5"], OD_1, STRATEGY_ID)
    (comm,) = plan_customer(customer(), [trigger], DAY, debt_age=84).communications
    assert comm.position is None
    assert comm.tone == 3
    (alone,) = plan_customer(customer(), [trigger], DAY).communications
    assert alone.tone == 1  # nothing known but the trigger itself, 5 days overdue


def test_pin_tone_is_kept_by_keys_and_json():
    assert OD_15_PINNED.pin_tone and not OD_1.pin_tone
    again = convert.steps_from_json(STRATEGY_ID, convert.steps_to_json(STEPS))
    assert again == STEPS
    legacy = [{k: v for k, v in s.items() if k != "pin_tone"} for s in convert.steps_to_json(STEPS)]
    assert not any(s.pin_tone for s in convert.steps_from_json(STRATEGY_ID, legacy))
