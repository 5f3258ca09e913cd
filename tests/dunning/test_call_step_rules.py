"""Unit tests of the pure rules of call steps (issue 18, no database): validation, timing like an overdue step
(catch-up, weekends), one call per customer and call step naming every invoice that reached it, apart from the
messages and from the unreachable items' task, a key a re-run finds again."""

from datetime import date, timedelta

from dunning_service.runs.rules import DueItem, evaluate_customer, plan_customer
from dunning_service.strategies.rules import (
    ActionKind,
    StepKind,
    StepSpec,
    effective_date,
    next_step,
    target_step,
    validate_steps,
)
from shared.calendar import BusinessCalendar
from shared.contracts.common import Channel
from tests.dunning.test_rules import NO_HOLIDAYS, customer, invoice, make_strategy

EMAIL = Channel.EMAIL
AR = BusinessCalendar(country="AR")
DUE = date(2025, 6, 3)  # a Tuesday: DUE + 4 is a Saturday
SCRIPT = "Hola {{ customer.name }}"
CALLS = make_strategy(
    [
        StepSpec(StepKind.OVERDUE, (EMAIL,), days=1, tone=1),
        StepSpec(StepKind.CALL, (), days=4, script=SCRIPT),
        StepSpec(StepKind.OVERDUE, (EMAIL,), days=10, tone=2),
        StepSpec(StepKind.CALL, (), days=20, script="Segunda llamada"),
    ]
)
CALL_4, CALL_20 = CALLS.steps[1], CALLS.steps[3]


def test_call_steps_validate_their_script_and_channels_and_keep_the_overdue_order():
    assert (CALL_4.key, CALL_4.kind, CALL_4.channels, CALL_4.script) == ("call-4", StepKind.CALL, (), SCRIPT)
    errors = validate_steps(
        [
            StepSpec(StepKind.OVERDUE, (EMAIL,), days=5, tone=1, script="Hola"),
            StepSpec(StepKind.CALL, (EMAIL,), days=5, script="Hola"),
            StepSpec(StepKind.CALL, (), days=8),
            StepSpec(StepKind.CALL, (), days=9, script="x" * 4001),
            StepSpec(StepKind.CALL, (), script="Hola"),
        ],
        manual_only=False,
    )
    assert [e["field"] for e in errors] == [
        "steps[0].script",
        "steps[1].channels",
        "steps[1].days",  # on the same day as steps[0]
        "steps[2].script",
        "steps[3].script",
        "steps[4].days",
    ]


def test_the_action_step_with_action_call_is_not_a_call_step():
    action = make_strategy([StepSpec(StepKind.ACTION, (EMAIL,), days=30, action=ActionKind.CALL)])
    assert action.steps[0].kind == StepKind.ACTION and action.steps[0].script is None
    assert "action notice" in action.steps[0].describe()
    assert "call 4 days after the due date" in CALL_4.describe()


def test_a_call_step_is_timed_like_an_overdue_step_and_moves_off_a_weekend():
    inv = invoice(DUE)
    assert target_step(CALLS.steps, inv, DUE + timedelta(days=3)).step == CALLS.steps[0]
    assert effective_date(CALL_4, inv, AR) == date(2025, 6, 9)  # Saturday -> Monday
    assert next_step(CALLS.steps, inv, DUE + timedelta(days=3), AR, sent_today=CALLS.steps[0]) == (
        CALL_4,
        date(2025, 6, 9),
    )
    assert target_step(CALLS.steps, inv, date(2025, 6, 9)).step == CALL_4
    before_holiday = invoice(date(2025, 7, 5))  # its call falls on 9 July, Independence Day in Argentina
    assert effective_date(CALL_4, before_holiday, AR) == date(2025, 7, 10)
    # catch-up: an invoice first seen 25 days overdue reaches the second call, not the first
    assert target_step(CALLS.steps, inv, DUE + timedelta(days=25)).step == CALL_20


def test_one_call_per_customer_and_call_step_naming_every_invoice_apart_from_messages():
    day = DUE + timedelta(days=20)
    first = invoice(DUE, number="A-1")
    second = invoice(DUE, number="A-2")
    older = invoice(DUE - timedelta(days=16), number="A-0")  # 36 days overdue: caught up to the same call step
    late = invoice(DUE + timedelta(days=9), number="A-3")  # 11 days overdue: the od-10 reminder, a message
    evaluation = evaluate_customer(customer(), [first, second, older, late], [CALLS], day, NO_HOLIDAYS, {})
    plan = evaluation.plan
    assert [c.channel for c in plan.communications] == [EMAIL]
    assert [i.invoice.number for i in plan.communications[0].items] == ["A-3"]
    assert plan.tasks == ()
    by_step = {c.step.key: sorted(i.invoice.number for i in c.items) for c in plan.calls}
    assert by_step == {"call-20": ["A-0", "A-1", "A-2"]}  # one task names them all
    keys = {c.key for c in plan.calls}
    assert all(key.startswith(f"dunning:{customer().id}:call:{day.isoformat()}:") for key in keys)
    recent = invoice(DUE + timedelta(days=16), number="A-4")  # 4 days overdue that day: the first call step
    two_steps = evaluate_customer(customer(), [first, recent], [CALLS], day, NO_HOLIDAYS, {})
    assert [c.step.key for c in two_steps.plan.calls] == ["call-4", "call-20"]  # one task per call step
    again = evaluate_customer(customer(), [first, second, older, late], [CALLS], day, NO_HOLIDAYS, {})
    assert {c.key for c in again.plan.calls} == keys  # a re-run asks for the same calls (the task's key)
    assert all(c.position is not None and len(c.position.lines) == 4 for c in plan.calls)


def test_a_customer_with_no_channel_still_gets_the_call_and_a_task_for_the_reminder():
    mute = customer(contacts=())
    items = [
        DueItem(invoice(DUE, number="A-1"), CALL_4, CALLS.id),
        DueItem(invoice(DUE - timedelta(days=10), number="A-0"), CALLS.steps[2], CALLS.id),
    ]
    plan = plan_customer(mute, items, DUE + timedelta(days=4))
    assert [i.invoice.number for t in plan.tasks for i in t.items] == ["A-0"]
    assert [(c.step.key, [i.invoice.number for i in c.items]) for c in plan.calls] == [("call-4", ["A-1"])]
    assert plan.communications == ()
