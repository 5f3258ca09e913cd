"""Unit tests of the pure dunning rules (no database): step kinds, catch-up, tone and grouping, exclusions,
channel fallback, weekends and holidays, tolerance, strategy selection."""

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dunning_service.projection.rules import Contact, CustomerView, InvoiceView, usable_channels
from dunning_service.runs.rules import (
    DueItem,
    choose_channel,
    communication_key,
    communication_tone,
    decide_invoice,
    evaluate_customer,
    fallback_exclusion,
    oldest_overdue,
    plan_customer,
    reply_pause,
    totals_and_oldest,
)
from dunning_service.strategies.rules import (
    BEFORE_DUE_KINDS,
    ActionKind,
    Match,
    StepKind,
    StepSpec,
    Strategy,
    StrategyChoice,
    assign_keys,
    effective_date,
    matched_conditions,
    next_step,
    overdue_amounts,
    reached_index,
    select_strategy,
    step_id,
    target_step,
    validate_steps,
)
from shared.calendar import BusinessCalendar
from shared.contracts.common import Channel, InvoiceKind, InvoiceStatus

EMAIL, SMS, WA = Channel.EMAIL, Channel.SMS, Channel.WHATSAPP
AR = BusinessCalendar(country="AR")


class EveryDay(BusinessCalendar):
    """Every day a business day: keeps the step arithmetic of these tests free of weekends."""

    def closed_reason(self, day: date) -> str | None:
        return None


NO_HOLIDAYS = EveryDay()
STRATEGY_ID = uuid.UUID("00000000-0000-0000-0000-00000000000a")


def make_strategy(
    specs: list[StepSpec] | None = None,
    *,
    strategy_id: uuid.UUID = STRATEGY_ID,
    name: str = "Standard",
    priority: int = 100,
    match: Match | None = None,
    is_default: bool = False,
    manual_only: bool = False,
    active: bool = True,
) -> Strategy:
    specs = (
        [
            StepSpec(StepKind.NEW_INVOICE, (EMAIL,)),
            StepSpec(StepKind.PRE_DUE, (EMAIL,), days=3),
            StepSpec(StepKind.OVERDUE, (EMAIL, SMS), days=1, tone=1),
            StepSpec(StepKind.OVERDUE, (EMAIL, SMS), days=15, tone=2),
            StepSpec(StepKind.OVERDUE, (WA, EMAIL), days=30, tone=3),
            StepSpec(StepKind.ACTION, (EMAIL,), days=45, action=ActionKind.LEGAL),
        ]
        if specs is None
        else specs
    )
    assert validate_steps(specs, manual_only) == []
    return Strategy(
        id=strategy_id,
        name=name,
        priority=priority,
        version=1,
        steps=assign_keys(strategy_id, specs),
        match=match or Match(),
        is_default=is_default,
        manual_only=manual_only,
        active=active,
    )


STANDARD = make_strategy()
KEYS = [s.key for s in STANDARD.steps]


def customer(**kw) -> CustomerView:
    base = {
        "id": uuid.UUID("00000000-0000-0000-0000-0000000000c1"),
        "name": "Distribuidora del Sur",
        "contacts": (Contact(EMAIL, "pagos@sur.example"), Contact(SMS, "+5491155551234")),
    }
    return CustomerView(**{**base, **kw})


def invoice(due: date, **kw) -> InvoiceView:
    base = {
        "id": uuid.uuid4(),
        "customer_id": uuid.UUID("00000000-0000-0000-0000-0000000000c1"),
        "number": "A-0001",
        "currency": "ARS",
        "amount": Decimal("1000"),
        "open_amount": Decimal("1000"),
        "issue_date": due - timedelta(days=30),
        "due_date": due,
    }
    return InvoiceView(**{**base, **kw})


def had(inv: InvoiceView, *keys: str) -> InvoiceView:
    ids = frozenset(step_id(STRATEGY_ID, k) for k in keys)
    return InvoiceView(**{**_fields(inv), "steps_done": inv.steps_done | ids})


def _fields(inv: InvoiceView) -> dict:
    return {name: getattr(inv, name) for name in InvoiceView.__dataclass_fields__}


def decide(inv: InvoiceView, day: date, cust: CustomerView | None = None, calendar=NO_HOLIDAYS, tolerances=None):
    cust = cust or customer()
    choice = select_strategy([STANDARD], cust)
    return decide_invoice(inv, cust, choice, day, calendar, tolerances or {})


# A Wednesday with no AR holiday around it, so the plain step kinds are not shifted.
DUE = date(2025, 6, 4)


# ------------------------------------------------------------------------------------------ step kinds


def test_new_invoice_notice_goes_out_on_the_issue_date():
    inv = invoice(DUE, issue_date=date(2025, 5, 5))
    assert decide(inv, date(2025, 5, 2)).reason == "no_step_yet"
    decision = decide(inv, date(2025, 5, 5))
    assert decision.due
    assert decision.step.kind == StepKind.NEW_INVOICE


def test_pre_due_reminder_n_days_before_the_due_date():
    inv = had(invoice(DUE), "new_invoice")
    assert decide(inv, DUE - timedelta(days=4)).reason == "step_already_sent"
    decision = decide(inv, DUE - timedelta(days=3))
    assert decision.step.kind == StepKind.PRE_DUE
    assert decision.step.days == 3


def test_overdue_reminders_n_days_after_the_due_date_each_with_its_tone():
    inv = had(invoice(DUE), "new_invoice", "pre_due-3")
    first = decide(inv, DUE + timedelta(days=1))
    assert (first.step.kind, first.step.days, first.step.tone) == (StepKind.OVERDUE, 1, 1)
    second = decide(had(inv, "overdue-1"), DUE + timedelta(days=15))
    assert (second.step.days, second.step.tone) == (15, 2)
    third = decide(had(inv, "overdue-1", "overdue-15"), DUE + timedelta(days=30))
    assert (third.step.days, third.step.tone) == (30, 3)


def test_action_notice_n_days_after_due_then_reminders_stop():
    inv = had(invoice(DUE), "new_invoice", "pre_due-3", "overdue-1", "overdue-15", "overdue-30")
    decision = decide(inv, DUE + timedelta(days=45))
    assert decision.step.kind == StepKind.ACTION
    assert decision.step.action == ActionKind.LEGAL
    stopped = InvoiceView(**{**_fields(had(inv, "action-45")), "stopped_by_action": True})
    assert decide(stopped, DUE + timedelta(days=50)).reason == "action_taken"


def test_pre_due_and_new_invoice_steps_are_not_sent_once_the_invoice_is_overdue():
    """Seed 000's 'upcoming due date' notice makes no sense after the due date."""
    strategy = make_strategy(
        [StepSpec(StepKind.PRE_DUE, (EMAIL,), days=3), StepSpec(StepKind.OVERDUE, (EMAIL,), days=7, tone=1)]
    )
    inv = invoice(DUE)
    assert target_step(strategy.steps, inv, DUE).step.kind == StepKind.PRE_DUE
    assert target_step(strategy.steps, inv, DUE + timedelta(days=2)).reason == "no_step_yet"


def test_a_step_is_not_sent_twice_nor_while_awaiting_acceptance():
    inv = had(invoice(DUE), "new_invoice", "pre_due-3", "overdue-1")
    assert decide(inv, DUE + timedelta(days=5)).reason == "step_already_sent"
    step15 = step_id(STRATEGY_ID, "overdue-15")
    pending = InvoiceView(**{**_fields(inv), "pending_step_id": step15, "pending_active": True})
    assert decide(pending, DUE + timedelta(days=15)).reason == "awaiting_acceptance"
    expired = InvoiceView(**{**_fields(inv), "pending_step_id": step15, "pending_active": False})
    assert decide(expired, DUE + timedelta(days=15)).step.key == "overdue-15"


def test_a_later_step_already_had_blocks_an_earlier_one():
    """After a strategy edit moved a step, an invoice never goes back to a milder reminder."""
    inv = had(invoice(DUE), "overdue-30")
    assert decide(inv, DUE + timedelta(days=16)).reason == "step_already_sent"


# ----------------------------------------------------------------------------------------------- catch-up


def test_catch_up_an_invoice_imported_40_days_overdue_gets_the_step_for_40_days_only():
    inv = invoice(DUE)
    decision = decide(inv, DUE + timedelta(days=40))
    assert decision.step.key == "overdue-30"
    cust = customer()
    plan = evaluate_customer(cust, [inv], [STANDARD], DUE + timedelta(days=40), NO_HOLIDAYS, {}).plan
    assert [i.step.key for i in plan.items] == ["overdue-30"]


def test_catch_up_after_a_pause_sends_the_highest_step_reached():
    inv = had(invoice(DUE), "new_invoice", "pre_due-3", "overdue-1")
    assert decide(inv, DUE + timedelta(days=33)).step.key == "overdue-30"


def test_catch_up_past_the_action_sends_the_action_notice():
    assert decide(invoice(DUE), DUE + timedelta(days=200)).step.kind == StepKind.ACTION


# ---------------------------------------------------------------------------------- grouping and tone


def item(inv: InvoiceView, key: str, strategy: Strategy = STANDARD) -> DueItem:
    return DueItem(inv, next(s for s in strategy.steps if s.key == key), strategy.id)


def test_one_communication_per_customer_and_channel_with_every_due_invoice_in_the_highest_tone():
    """Seed 004: one email listing every invoice, the total and the oldest days overdue."""
    day = DUE + timedelta(days=15)
    a = invoice(DUE, number="A-1")
    b = invoice(DUE + timedelta(days=14), number="A-2", open_amount=Decimal("250.50"))
    c = invoice(DUE, number="U-1", currency="USD", open_amount=Decimal("10"))
    plan = plan_customer(customer(), [item(a, "overdue-15"), item(b, "overdue-1"), item(c, "overdue-15")], day)
    assert len(plan.communications) == 1
    (comm,) = plan.communications
    assert comm.channel == EMAIL
    assert comm.address == "pagos@sur.example"
    assert comm.tone == 2
    assert comm.kind == StepKind.OVERDUE
    assert [i.invoice.number for i in comm.items] == ["A-1", "U-1", "A-2"]  # by due date, then number
    totals, oldest = totals_and_oldest(comm.items, day)
    assert totals == {"ARS": Decimal("1250.50"), "USD": Decimal("10")}
    assert oldest == 15


def test_invoices_whose_steps_prefer_different_channels_make_one_communication_per_channel():
    cust = customer(contacts=(Contact(EMAIL, "a@b.example"), Contact(WA, "+5491155551234")))
    day = DUE + timedelta(days=30)
    a = invoice(DUE, number="A-1")
    b = invoice(DUE + timedelta(days=29), number="A-2")
    plan = plan_customer(cust, [item(a, "overdue-30"), item(b, "overdue-1")], day)
    assert {(c.channel, c.tone, len(c.items)) for c in plan.communications} == {(WA, 3, 1), (EMAIL, 1, 1)}


def test_kind_of_a_mixed_communication_is_the_highest_and_carries_the_action():
    day = DUE + timedelta(days=45)
    a = invoice(DUE, number="A-1")
    b = invoice(DUE + timedelta(days=4), number="A-2")
    plan = plan_customer(customer(), [item(a, "action-45"), item(b, "overdue-1")], day)
    (comm,) = plan.communications
    assert comm.kind == StepKind.ACTION
    assert comm.action == ActionKind.LEGAL
    assert comm.tone == 3


def test_idempotency_key_is_deterministic_and_independent_of_order():
    day = DUE + timedelta(days=15)
    a, b = invoice(DUE, number="A-1"), invoice(DUE, number="A-2")
    one = plan_customer(customer(), [item(a, "overdue-15"), item(b, "overdue-15")], day)
    two = plan_customer(customer(), [item(b, "overdue-15"), item(a, "overdue-15")], day)
    assert one.communications[0].key == two.communications[0].key
    other_day = plan_customer(customer(), [item(a, "overdue-15"), item(b, "overdue-15")], day + timedelta(1))
    assert other_day.communications[0].key != one.communications[0].key
    assert one.communications[0].key.startswith(f"dunning:{customer().id}:email:{day.isoformat()}:")


# ------------------------------------------------------------------------------------- channel fallback


def test_opted_out_channel_falls_back_to_the_next_one():
    cust = customer(opted_out=frozenset({EMAIL}))
    plan = plan_customer(cust, [item(invoice(DUE), "overdue-1")], DUE + timedelta(days=1))
    assert plan.communications[0].channel == SMS
    assert plan.communications[0].address == "+5491155551234"


def test_invalid_contact_falls_back_to_the_next_valid_one_on_the_channel_or_the_next_channel():
    two_emails = customer(contacts=(Contact(EMAIL, "old@x.example", invalid=True), Contact(EMAIL, "new@x.example")))
    plan = plan_customer(two_emails, [item(invoice(DUE), "overdue-1")], DUE + timedelta(days=1))
    assert plan.communications[0].address == "new@x.example"
    bounced = customer(contacts=(Contact(EMAIL, "old@x.example", invalid=True), Contact(SMS, "+5491155551234")))
    plan = plan_customer(bounced, [item(invoice(DUE), "overdue-1")], DUE + timedelta(days=1))
    assert plan.communications[0].channel == SMS


def test_no_channel_left_becomes_a_task_for_the_collector():
    cust = customer(contacts=(Contact(SMS, "+5491155551234"),), opted_out=frozenset({SMS}))
    inv = invoice(DUE)
    plan = plan_customer(cust, [item(inv, "overdue-1")], DUE + timedelta(days=1))
    assert plan.communications == ()
    assert [i.invoice.id for i in plan.tasks[0].items] == [inv.id]
    assert cust.channel_problem(EMAIL) == "no contact"
    assert cust.channel_problem(SMS) == "opted out"


def test_usable_channels_for_set_based_queries():
    contacts = [
        Contact(EMAIL, "a@b.example", invalid=True),
        Contact(SMS, "+5491155551234"),
        Contact(WA, "+5491155551234"),
    ]
    assert usable_channels(contacts, ["whatsapp"]) == ["sms"]


# ----------------------------------------------------------------------------------------------- exclusions


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"status": InvoiceStatus.PAID}, "closed"),
        ({"status": InvoiceStatus.VOID}, "closed"),
        ({"status": InvoiceStatus.WRITTEN_OFF}, "closed"),
        ({"missing_upstream": True}, "missing_upstream"),
        ({"kind": InvoiceKind.CREDIT_NOTE}, "credit_note"),
        ({"status": InvoiceStatus.PROMISE_TO_PAY, "promised_date": date(2025, 7, 1)}, "paused_promise_to_pay"),
        ({"status": InvoiceStatus.PAYMENT_REPORTED}, "paused_payment_reported"),
        ({"status": InvoiceStatus.DISPUTE}, "paused_dispute"),
        ({"open_amount": Decimal(0)}, "nothing_owed"),
        ({"open_action_item": uuid.uuid4()}, "open_action_item"),
        ({"stopped_by_action": True}, "action_taken"),
    ],
)
def test_every_invoice_exclusion_seed_000(changes, reason):
    inv = InvoiceView(**{**_fields(invoice(DUE)), **changes})
    decision = decide(inv, DUE + timedelta(days=15))
    assert not decision.due
    assert decision.reason == reason


def test_amounts_below_the_currency_tolerance_are_not_chased():
    small = invoice(DUE, open_amount=Decimal("4.99"), currency="USD")
    assert decide(small, DUE + timedelta(days=1), tolerances={"USD": Decimal("5")}).reason == "below_tolerance"
    exact = invoice(DUE, open_amount=Decimal("5.00"), currency="USD")
    assert decide(exact, DUE + timedelta(days=1), tolerances={"USD": Decimal("5")}).due
    other_currency = invoice(DUE, open_amount=Decimal("4.99"), currency="ARS")
    assert decide(other_currency, DUE + timedelta(days=1), tolerances={"USD": Decimal("5")}).due


def test_customer_level_exclusions():
    inv = invoice(DUE)
    deleted = customer(deleted=True)
    assert decide(inv, DUE + timedelta(days=1), cust=deleted).reason == "customer_deleted"
    choice = select_strategy([], customer())
    assert decide_invoice(inv, customer(), choice, DUE, NO_HOLIDAYS, {}).reason == "no_strategy"


def test_manual_only_strategy_sends_nothing_seed_000_vip():
    vip = make_strategy(
        name="VIP", priority=1, match=Match(vip=True), manual_only=True, specs=[], strategy_id=uuid.uuid4()
    )
    default = make_strategy(is_default=True)
    cust = customer(vip=True)
    evaluation = evaluate_customer(cust, [invoice(DUE)], [default, vip], DUE + timedelta(days=1), NO_HOLIDAYS, {})
    assert evaluation.choice.strategy.name == "VIP"
    assert evaluation.decisions[0].reason == "manual_only"
    assert evaluation.plan.items == []


# -------------------------------------------------------------------------------- weekends and holidays


def test_a_step_falling_on_a_weekend_goes_out_the_next_business_day():
    due = date(2025, 6, 6)  # Friday; +1 is Saturday 7th
    inv = had(invoice(due), "new_invoice", "pre_due-3")
    saturday, monday = date(2025, 6, 7), date(2025, 6, 9)
    assert decide(inv, saturday, calendar=AR).reason == "not_business_day"
    assert "2025-06-09" in decide(inv, saturday, calendar=AR).detail
    assert decide(inv, monday, calendar=AR).step.key == "overdue-1"
    assert effective_date(STANDARD.steps[2], inv, AR) == monday


def test_a_step_falling_on_a_public_holiday_of_the_tenants_country_moves_to_the_next_business_day():
    """2025-03-24 is Argentina's Día Nacional de la Memoria (a Monday): the +1 reminder of an invoice due
    Sunday 23rd goes out on Tuesday 25th."""
    inv = had(invoice(date(2025, 3, 23)), "new_invoice", "pre_due-3")
    assert "public holiday" in AR.closed_reason(date(2025, 3, 24))
    assert decide(inv, date(2025, 3, 24), calendar=AR).reason == "not_business_day"
    assert decide(inv, date(2025, 3, 25), calendar=AR).step.key == "overdue-1"
    assert next_step(STANDARD.steps, inv, date(2025, 3, 21), AR) == (STANDARD.steps[2], date(2025, 3, 25))
    # Uruguay works that day
    assert BusinessCalendar(country="UY").is_business_day(date(2025, 3, 24))


def test_company_holidays_and_carnival():
    calendar = BusinessCalendar(country="AR", extra_holidays=frozenset({date(2025, 6, 10)}))
    assert calendar.closed_reason(date(2025, 6, 10)) == "a company holiday"
    assert calendar.next_business_day(date(2025, 3, 1)) == date(2025, 3, 5)  # Sat, Sun, Carnival Mon and Tue
    assert calendar.previous_business_day(date(2025, 3, 5)) == date(2025, 2, 28)


def test_next_step_and_its_date():
    inv = had(invoice(DUE), "new_invoice", "pre_due-3", "overdue-1")
    assert next_step(STANDARD.steps, inv, DUE + timedelta(days=2), NO_HOLIDAYS) == (
        STANDARD.steps[3],
        DUE + timedelta(days=15),
    )
    finished = had(inv, "overdue-15", "overdue-30", "action-45")
    assert next_step(STANDARD.steps, finished, DUE + timedelta(days=50), NO_HOLIDAYS) is None


# ---------------------------------------------------------------------------------- strategy selection


def test_strategy_selection_by_rules_and_priority_seed_003():
    high_risk = make_strategy(
        name="High risk", priority=10, match=Match(risk_levels=("high",)), strategy_id=uuid.uuid4()
    )
    wholesale = make_strategy(
        name="Wholesale", priority=20, match=Match(segments=("Wholesale",)), strategy_id=uuid.uuid4()
    )
    vip = make_strategy(
        name="VIP", priority=1, match=Match(vip=True), manual_only=True, specs=[], strategy_id=uuid.uuid4()
    )
    default = make_strategy(name="Standard", is_default=True, strategy_id=uuid.uuid4())
    pool = [default, wholesale, high_risk, vip]
    pick = lambda **kw: select_strategy(pool, customer(**kw)).strategy.name  # noqa: E731
    assert pick(vip=True, risk_level="high") == "VIP"
    assert pick(risk_level="high", segment="wholesale") == "High risk"
    assert pick(segment="WHOLESALE") == "Wholesale"  # segments compare case-insensitively
    assert pick(segment="retail") == "Standard"
    assert pick(segment=None) == "Standard"  # a missing attribute never matches
    choice = select_strategy(pool, customer(risk_level="high"))
    assert choice.reason == "priority 10: risk level is high"


def test_inactive_strategies_are_skipped_and_ties_break_by_name():
    a = make_strategy(name="B", priority=5, strategy_id=uuid.uuid4())
    b = make_strategy(name="A", priority=5, strategy_id=uuid.uuid4())
    off = make_strategy(name="0", priority=1, active=False, strategy_id=uuid.uuid4())
    assert select_strategy([a, b, off], customer()).strategy.name == "A"
    assert select_strategy([off], customer()).strategy is None


def test_tags_countries_and_amount_overdue_rules():
    cust = customer(tags=frozenset({"north", "key-account"}), country="AR")
    assert matched_conditions(Match(tags_any=("NORTH", "south")), cust, {}) == ["tagged north"]
    assert matched_conditions(Match(tags_all=("north", "south")), cust, {}) is None
    assert matched_conditions(Match(countries=("ar",)), cust, {}) == ["country is AR"]
    big = Match(amount_currency="ARS", amount_min=Decimal("100000"))
    assert matched_conditions(big, cust, {"ARS": Decimal("99999.99")}) is None
    assert matched_conditions(big, cust, {"ARS": Decimal("100000"), "USD": Decimal("1")}) is not None
    assert matched_conditions(big, cust, {"USD": Decimal("1000000")}) is None  # never across currencies
    assert matched_conditions(Match(), cust, {}) == []


def test_overdue_amounts_per_currency():
    day = DUE + timedelta(days=1)
    invoices = [
        invoice(DUE, open_amount=Decimal("10")),
        invoice(DUE, open_amount=Decimal("5"), status=InvoiceStatus.DISPUTE),
        invoice(DUE, open_amount=Decimal("7"), currency="USD"),
        invoice(day, open_amount=Decimal("100")),  # not yet overdue
        invoice(DUE, open_amount=Decimal("3"), status=InvoiceStatus.PAID),
        invoice(DUE, open_amount=Decimal("2"), kind=InvoiceKind.CREDIT_NOTE),
    ]
    assert overdue_amounts(invoices, day) == {"ARS": Decimal("15"), "USD": Decimal("7")}


# ------------------------------------------------------------------------------------ step validation


def test_validation_names_the_step_and_field():
    errors = validate_steps(
        [
            StepSpec(StepKind.PRE_DUE, (EMAIL,), days=3),
            StepSpec(StepKind.PRE_DUE, (EMAIL,), days=5),
            StepSpec(StepKind.OVERDUE, (), days=1),
            StepSpec(StepKind.OVERDUE, (EMAIL, EMAIL), days=1, tone=1),
            StepSpec(StepKind.ACTION, (EMAIL,), days=30),
            StepSpec(StepKind.NEW_INVOICE, (EMAIL,), days=2),
        ],
        manual_only=False,
    )
    fields = [e["field"] for e in errors]
    assert fields == [
        "steps[1].days",  # pre-due 5 after pre-due 3: not furthest to nearest
        "steps[2].channels",
        "steps[2].tone",
        "steps[3].channels",
        "steps[3].days",  # overdue 1 again
        "steps[4].action",
        "steps[4].kind",  # action not last
        "steps[5].days",
        "steps[5].kind",  # new invoice not first
    ]


def test_validation_accepts_a_good_strategy_and_requires_a_step_unless_manual():
    assert validate_steps([], manual_only=True) == []
    assert validate_steps([], manual_only=False) == [
        {"field": "steps", "message": "a strategy that sends automatic messages needs a step"}
    ]


def test_keys_are_stable_across_edits_so_no_step_is_sent_again():
    sid = uuid.uuid4()
    v1 = assign_keys(sid, [StepSpec(StepKind.OVERDUE, (EMAIL,), days=7, tone=1)])
    # v2 changes tone and channels without giving keys, and inserts a step before it
    v2 = assign_keys(
        sid,
        [StepSpec(StepKind.OVERDUE, (SMS,), days=3, tone=1), StepSpec(StepKind.OVERDUE, (SMS, EMAIL), days=7, tone=2)],
        v1,
    )
    assert v2[1].id == v1[0].id
    assert v2[1].key == "overdue-7"
    # v3 moves the step to 10 days keeping its key explicitly
    v3 = assign_keys(sid, [StepSpec(StepKind.OVERDUE, (EMAIL,), days=10, tone=2, key="overdue-7")], v2)
    assert v3[0].id == v1[0].id
    # same days twice without keys get distinct keys
    dup = assign_keys(
        sid, [StepSpec(StepKind.PRE_DUE, (EMAIL,), days=3)] * 1 + [StepSpec(StepKind.OVERDUE, (EMAIL,), days=3, tone=1)]
    )
    assert [s.key for s in dup] == ["pre_due-3", "overdue-3"]


# ------------------------------------------------------------------------------------------- properties

offsets = st.lists(st.integers(min_value=1, max_value=90), min_size=1, max_size=5, unique=True).map(sorted)


@st.composite
def strategies_and_invoices(draw):
    overdue = draw(offsets)
    pre = draw(
        st.lists(st.integers(min_value=0, max_value=10), max_size=2, unique=True).map(
            lambda xs: sorted(xs, reverse=True)
        )
    )
    specs = []
    if draw(st.booleans()):
        specs.append(StepSpec(StepKind.NEW_INVOICE, (EMAIL,)))
    specs += [StepSpec(StepKind.PRE_DUE, (EMAIL,), days=d) for d in pre]
    tones = sorted(draw(st.lists(st.integers(1, 3), min_size=len(overdue), max_size=len(overdue))))
    specs += [StepSpec(StepKind.OVERDUE, (EMAIL, SMS), days=d, tone=t) for d, t in zip(overdue, tones, strict=True)]
    if draw(st.booleans()):
        specs.append(
            StepSpec(StepKind.ACTION, (EMAIL,), days=overdue[-1] + draw(st.integers(1, 30)), action=ActionKind.CALL)
        )
    strategy = make_strategy(specs, strategy_id=uuid.uuid4())
    due = date(2025, 1, 1) + timedelta(days=draw(st.integers(0, 700)))
    term = draw(st.integers(0, 60))
    inv = invoice(due, issue_date=due - timedelta(days=term))
    start = due + timedelta(days=draw(st.integers(-70, 120)))  # imported at any point: catch-up
    return strategy, inv, start


def simulate(strategy: Strategy, inv: InvoiceView, start: date, days: int, calendar: BusinessCalendar):
    """Daily runs from ``start``, every communication accepted at once."""
    sent = []
    for n in range(days):
        day = start + timedelta(days=n)
        if not calendar.is_business_day(day):
            continue
        target = target_step(strategy.steps, inv, day)
        if target.step is not None:
            sent.append((day, target.step))
            inv = InvoiceView(**{**_fields(inv), "steps_done": inv.steps_done | {target.step.id}})
    return sent


@settings(max_examples=300, deadline=None)
@given(strategies_and_invoices())
def test_property_daily_runs_never_repeat_a_step_and_only_move_forward(case):
    strategy, inv, start = case
    sent = simulate(strategy, inv, start, 200, AR)
    positions = [strategy.steps.index(step) for _, step in sent]
    assert positions == sorted(set(positions)), "a step twice, or a step after a later one"
    assert all(AR.is_business_day(day) for day, _ in sent)
    tones = [step.tone for _, step in sent if step.kind == StepKind.OVERDUE]
    assert tones == sorted(tones)
    for day, step in sent:
        if step.kind in BEFORE_DUE_KINDS:
            assert day <= inv.due_date
        assert day >= step.scheduled_date(inv.issue_date, inv.due_date)


@settings(max_examples=300, deadline=None)
@given(strategies_and_invoices())
def test_property_first_send_is_the_highest_step_reached_catch_up(case):
    strategy, inv, start = case
    sent = simulate(strategy, inv, start, 200, NO_HOLIDAYS)
    if not sent:
        return
    day, step = sent[0]
    idx = reached_index(strategy.steps, inv.issue_date, inv.due_date, day)
    assert strategy.steps[idx] == step


@settings(max_examples=300, deadline=None)
@given(strategies_and_invoices())
def test_property_each_step_goes_out_on_its_effective_date_unless_overtaken(case):
    """Without catch-up, a step that goes out does so on its day moved to the next business day."""
    strategy, inv, _ = case
    start = min(inv.issue_date, inv.due_date - timedelta(days=10)) - timedelta(days=1)
    for day, step in simulate(strategy, inv, start, 250, AR):
        assert day == AR.next_business_day(max(inv.issue_date, step.scheduled_date(inv.issue_date, inv.due_date)))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 60), st.sampled_from(["overdue-1", "overdue-15", "overdue-30", "action-45", "pre_due-3"])
        ),
        min_size=1,
        max_size=8,
    ),
    st.sets(st.sampled_from([EMAIL, SMS, WA])),
    st.sets(st.sampled_from([EMAIL, SMS, WA])),
)
def test_property_grouping_covers_every_item_once(items_spec, reachable, opted_out):
    contacts = tuple(Contact(c, f"{c.value}-addr") for c in sorted(reachable, key=str))
    cust = customer(contacts=contacts, opted_out=frozenset(opted_out))
    due_items = [item(invoice(DUE - timedelta(days=n), number=f"N{i}"), key) for i, (n, key) in enumerate(items_spec)]
    plan = plan_customer(cust, due_items, DUE + timedelta(days=60))
    placed = [i.invoice.id for i in plan.items]
    assert sorted(map(str, placed)) == sorted(str(i.invoice.id) for i in due_items)
    channels = [c.channel for c in plan.communications]
    assert len(channels) == len(set(channels))
    assert len(plan.tasks) <= 1
    for comm in plan.communications:
        assert comm.channel in reachable - opted_out
        age = oldest_overdue(comm.items, DUE + timedelta(days=60))
        assert comm.tone == communication_tone([i.step for i in comm.items], age)
        assert comm.tone >= max(i.step.tone for i in comm.items)
        assert all(choose_channel(cust, i.step)[0] == comm.channel for i in comm.items)
    for task in plan.tasks:
        assert all(choose_channel(cust, i.step) is None for i in task.items)


# ------------------------------------------------------------------------------------ fallback, replies (issue 10)


def test_fallback_tries_the_next_address_on_the_channel_then_the_steps_next_channel():
    cust = customer(
        contacts=(
            Contact(EMAIL, "pagos@sur.example"),
            Contact(EMAIL, "bad@sur.example", invalid=True),
            Contact(EMAIL, "admin@sur.example"),
            Contact(SMS, "+5491155551234"),
        )
    )
    step = STANDARD.steps[2]  # overdue-1: email, then sms
    tried = frozenset({(EMAIL, "pagos@sur.example")})
    assert choose_channel(cust, step, tried) == (EMAIL, "admin@sur.example")
    tried |= {(EMAIL, "admin@sur.example")}
    assert choose_channel(cust, step, tried) == (SMS, "+5491155551234")
    tried |= {(SMS, "+5491155551234")}
    assert choose_channel(cust, step, tried) is None
    opted_out = customer(opted_out=frozenset({SMS}))
    assert choose_channel(opted_out, step, frozenset({(EMAIL, "pagos@sur.example")})) is None


def test_a_fallback_plan_has_its_own_keys_and_a_task_when_nothing_is_left():
    inv = invoice(DUE)
    item = DueItem(inv, STANDARD.steps[2], STRATEGY_ID)
    day = DUE + timedelta(days=1)
    first = plan_customer(customer(), [item], day)
    fallback = plan_customer(customer(), [item], day, tried=frozenset({(EMAIL, "pagos@sur.example")}))
    (original,), (again,) = first.communications, fallback.communications
    assert again.channel == SMS
    assert again.key.startswith(communication_key(customer().id, "sms", day, [item]))
    assert again.key != communication_key(customer().id, "sms", day, [item])
    assert original.key == communication_key(customer().id, "email", day, [item])
    tried = frozenset({(EMAIL, "pagos@sur.example"), (SMS, "+5491155551234")})
    nothing_left = plan_customer(customer(), [item], day, tried=tried)
    assert nothing_left.communications == ()
    assert nothing_left.tasks[0].key.endswith(":fallback:task:" + nothing_left.tasks[0].key.rsplit(":", 1)[1])


def test_a_failed_message_gets_no_fallback_when_paid_paused_or_superseded_but_does_after_its_action_notice():
    steps = STANDARD.steps
    assert fallback_exclusion(invoice(DUE), steps, 2, {}) is None
    assert fallback_exclusion(invoice(DUE, status=InvoiceStatus.PAID), steps, 2, {}) == "closed"
    assert fallback_exclusion(invoice(DUE, status=InvoiceStatus.DISPUTE), steps, 2, {}) == "paused_dispute"
    assert fallback_exclusion(had(invoice(DUE), "overdue-15"), steps, 2, {}) == "superseded"
    notice = invoice(DUE, stopped_by_action=True, open_action_item=uuid.uuid4())
    assert fallback_exclusion(notice, steps, len(steps) - 1, {}) is None


@given(st.integers(min_value=0, max_value=60), st.integers(min_value=-5, max_value=70))
def test_a_reply_pauses_reminders_for_exactly_the_tenants_days(pause_days, offset):
    replied = date(2025, 6, 2)
    cust = customer(replied_on=replied)
    day = replied + timedelta(days=offset)
    paused = reply_pause(cust, day, pause_days)
    assert (paused is not None) == (offset < pause_days)
    if paused:
        assert paused.startswith("paused: customer replied on 2025-06-02")
        decision = decide_invoice(
            invoice(day - timedelta(days=1)), cust, StrategyChoice(STANDARD, ""), day, NO_HOLIDAYS, {}, pause_days
        )
        assert decision.reason == "paused_reply"
    assert reply_pause(customer(), day, pause_days) is None
