"""The run's set-based SQL and the pure rules must decide the same: random portfolios (strategies chosen by rules
and priority, every exclusion, step histories, pending, accepted and expired communications, open action items,
opt-outs, tolerances, customers paused by a reply, credits, call steps), several days. The selection's plan, the
run's statements' plan (``runs/statements.py``: the dispatches, keys, tones) and every message, task and call
they build equal what the rules and ``payloads`` build."""

import json
import random
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from dunning_service.experiments import repository as experiments_repository
from dunning_service.experiments.rules import HeldAssignment, InForce, choose, in_force
from dunning_service.fees import repository as fees
from dunning_service.projection.views import customer_view, invoice_view
from dunning_service.runs import handover_repository, payloads, pending, plan_repository, selection, statements
from dunning_service.runs.context import load_strategies, load_tenant, pending_cutoff
from dunning_service.runs.rules import CustomerPlan, evaluate_customer
from dunning_service.strategies.rules import Strategy, overdue_amounts, select_strategy
from shared.contracts.common import Channel, ContactPoint, InvoiceKind, InvoiceStatus
from shared.contracts.messaging import CallTask, Communication, SendDispatchedCommunications
from shared.contracts.receivables import CreateTask, CustomerChanged, InvoiceChanged
from tests.dunning.support import STANDARD_STEPS, create_strategy, dunning_tenant, feed

DAYS = [date(2025, 6, 2), date(2025, 6, 4), date(2025, 6, 20), date(2025, 7, 9)]  # 9 July: a holiday
EXPIRY_HOURS = 48
RUN_ID = uuid.UUID("00000000-0000-4000-8000-000000000013")
PLANNED = "planned"  # the statements' plan, as a dry run writes it
CALL_20 = {"key": "call-20", "kind": "call", "days": 20, "script": "Hola {{ customer.name }}: {{ total }}"}
CALL_8 = {"key": "call-8", "kind": "call", "days": 8, "tone": 2, "script": "Llamar por {{ triggered_numbers }}"}
PLANS = [uuid.UUID(int=n) for n in range(1, 4)]  # payment plans (issue 19)
CREDITS = [[], [], [{"currency": "ARS", "amount": "120.50"}], [{"currency": "USD", "amount": "9"}]]


def _customers(rng: random.Random, n: int) -> list[CustomerChanged]:
    out = []
    for i in range(n):
        contacts = []
        if rng.random() < 0.8:
            contacts.append(ContactPoint(channel="email", address=f"c{i}@example.com", invalid=rng.random() < 0.15))
        if rng.random() < 0.5:
            contacts.append(ContactPoint(channel="sms", address="+5491155551234"))
        if rng.random() < 0.4:
            contacts.append(ContactPoint(channel="whatsapp", address="+5491155551234"))
        if rng.random() < 0.3:  # a second address: the first valid one of a channel is the one written to
            contacts.append(ContactPoint(channel="email", address=f"c{i}.b@example.com"))
        out.append(
            CustomerChanged(
                customer_id=uuid.uuid4(),
                revision=1,
                name=f"Cliente {i}",
                vip=rng.random() < 0.1,
                segment=rng.choice([None, "wholesale", "Retail", "WHOLESALE"]),
                risk_level=rng.choice([None, "low", "medium", "high"]),
                computed_risk_level=rng.choice([None, "low", "medium", "high"]),
                tags=rng.sample(["north", "south", "key-account"], rng.randint(0, 2)),
                country=rng.choice(["AR", "UY", None]),
                contacts=contacts,
                opted_out_channels=rng.sample(["email", "sms", "whatsapp"], rng.choice([0, 0, 0, 1, 2])),
                deleted=rng.random() < 0.05,
                language=rng.choice([None, "en", "pt"]),
                credits=rng.choice(
                    [[], [], [{"currency": "ARS", "amount": "120.50"}], [{"currency": "USD", "amount": "9"}]]
                ),
            )
        )
    return out


def _invoices(rng: random.Random, customers: list[CustomerChanged], base: date) -> list[InvoiceChanged]:
    out = []
    for i in range(len(customers) * 3):
        customer = rng.choice(customers)
        due = base + timedelta(days=rng.randint(-70, 40))
        status = rng.choices(list(InvoiceStatus), weights=[14, 1, 1, 1, 1, 1, 1, 1])[0]
        kind = rng.choices(list(InvoiceKind), weights=[10, 3, 1, 1])[0]
        # issue 19: most installments name their plan (the plans' strategy follows them), as in_plan invoices do
        in_a_plan = kind == InvoiceKind.INSTALLMENT or status == InvoiceStatus.IN_PLAN
        plan_id = PLANS[i % len(PLANS)] if in_a_plan and rng.random() < 0.8 else None
        currency = rng.choice(["ARS", "ARS", "USD"])
        open_amount = Decimal(rng.choice(["50", "99.99", "100", "1500", "7000", "4.99", "0"]))
        out.append(
            InvoiceChanged(
                invoice_id=uuid.uuid4(),
                revision=1,
                customer_id=customer.customer_id,
                number=f"F-{i:04d}",
                kind=kind,
                plan_id=plan_id,
                currency=currency,
                amount=max(open_amount, Decimal(100)),
                open_amount=open_amount,
                issue_date=due - timedelta(days=rng.choice([0, 10, 30, 45])),
                due_date=due,
                status=status,
            )
        )
    return out


async def _scramble_history(stack, rng: random.Random, strategies: list[Strategy]) -> None:
    """Random steps done, pending (fresh or expired), stopped by action, missing upstream."""
    step_ids = [s.id for strategy in strategies for s in strategy.steps]
    async with stack.engine.begin() as conn:
        ids = list((await conn.execute(text("SELECT id FROM dunning.invoices"))).scalars())
        for invoice_id in ids:
            roll = rng.random()
            values = {
                "id": invoice_id,
                "done": rng.sample(step_ids, rng.randint(0, 3)) if roll < 0.6 else [],
                "pending": rng.choice(step_ids) if rng.random() < 0.15 else None,
                "since": datetime.now(UTC) - timedelta(hours=rng.choice([1, 100])),
                "accepted": rng.random() < 0.3,  # messaging holds it: never expires
                "stopped": rng.random() < 0.05,
                "missing": rng.random() < 0.03,
            }
            await conn.execute(
                text(
                    "UPDATE dunning.invoices SET steps_done = CAST(:done AS uuid[]), stopped_by_action = :stopped, "
                    "missing_upstream = :missing WHERE id = :id"
                ),
                values,
            )
            if values["pending"] is not None:
                await conn.execute(
                    text(
                        "INSERT INTO dunning.pending_steps (tenant_id, invoice_id, step_id, since, accepted) "
                        "SELECT tenant_id, id, :pending, :since, :accepted FROM dunning.invoices WHERE id = :id"
                    ),
                    values,
                )
        customers = list((await conn.execute(text("SELECT id FROM dunning.customers"))).scalars())
        for customer_id in rng.sample(customers, len(customers) // 4):  # replied around the days compared
            replied = DAYS[rng.randrange(len(DAYS))] - timedelta(days=rng.choice([0, 1, 2, 3, 5]))
            await conn.execute(
                text("UPDATE dunning.customers SET replied_on = :d WHERE id = :id"), {"d": replied, "id": customer_id}
            )
        some = rng.sample(ids, 5)
        await conn.execute(
            text(
                "INSERT INTO dunning.action_items (id, tenant_id, customer_id, invoice_ids, action, status, source, "
                "created_on) SELECT gen_random_uuid(), tenant_id, customer_id, ARRAY[id], 'call', "
                "CASE WHEN random() < 0.7 THEN 'open' ELSE 'done' END, 'manual', DATE '2025-06-01' "
                "FROM dunning.invoices WHERE id = ANY(CAST(:ids AS uuid[]))"
            ),
            {"ids": some},
        )


def _summary(customer_plans: list[CustomerPlan]) -> set[tuple]:
    out = set()
    for plan in customer_plans:
        for c in plan.communications:
            items = tuple((str(i.invoice.id), i.step.key) for i in c.items)
            out.add((str(plan.customer.id), c.channel.value, c.kind.value, c.tone, c.key, items))
        for t in plan.tasks:
            items = tuple((str(i.invoice.id), i.step.key) for i in t.items)
            out.add((str(plan.customer.id), "task", None, None, t.key, items))
        for call in plan.calls:
            items = tuple((str(i.invoice.id), i.step.key) for i in call.items)
            out.add((str(plan.customer.id), "call", None, call.step.tone, call.key, items))
    return out


async def _experiments(api, stack, tenant_id, headers, strategies: list[Strategy]) -> tuple[InForce, dict]:
    """Issue 19: a running experiment on the default strategy (three weighted variants, one manual-only), one stopped
    with a choice (its assigned customers and its scope's newcomers follow the chosen strategy) and one running whose
    variant is not live (the match decides); what steers each customer, read back as explain reads it."""
    ids = {s.name: str(s.id) for s in strategies}

    async def start(name: str, scope: str, weights: dict[str, int], by: str) -> str:
        variants = [
            {"key": f"v{n}", "name": v, "strategy_id": ids[v], "weight": w} for n, (v, w) in enumerate(weights.items())
        ]
        body = {"name": name, "scope_strategy_id": ids[scope], "variants": variants, "stratify_by": by}
        created = await api.post("/v1/strategy-experiments", json=body, headers=headers)
        assert created.status_code == 201, created.text
        started = await api.post(f"/v1/strategy-experiments/{created.json()['id']}/start", headers=headers)
        assert started.status_code == 200, started.text
        assert started.json()["assignments"], started.text
        return created.json()["id"]

    stopped = await start("Big or north", "Wholesale north", {"Wholesale north": 1, "Big debt": 1}, "none")
    answer = await api.post(f"/v1/strategy-experiments/{stopped}/stop", json={"chosen_variant": "v1"}, headers=headers)
    assert answer.status_code == 200, answer.text
    await start("Tones", "Standard", {"Standard": 1, "High risk": 2, "VIP": 1}, "risk_level")
    draft = await start("Draft", "High risk", {"High risk": 1, "Draft": 1}, "segment")
    held: dict[uuid.UUID, list[HeldAssignment]] = defaultdict(list)
    async with stack.engine.begin() as conn, AsyncSession(bind=conn) as session:
        # a variant that became the payment plans' strategy after the start (the API refuses it at creation): it
        # steers nobody, as a strategy that is not live (``steer``), and never gives a customer the plans' steps
        plans = {"key": "v1", "name": "Installments", "strategy_id": ids["Installments"], "weight": 1}
        await conn.execute(
            text(
                "UPDATE dunning.experiments SET variants = jsonb_set(variants, '{1}', CAST(:v AS jsonb)) WHERE id = :e"
            ),
            {"v": json.dumps(plans), "e": draft},
        )
        steering = in_force([r.state() for r in await experiments_repository.steering(session, tenant_id)])
        rows = await conn.execute(text("SELECT * FROM dunning.experiment_assignments"))
        for r in rows:
            held[r.customer_id].append(HeldAssignment(r.experiment_id, r.variant_key, r.stratum))
    assert len(held) > 10
    return steering, held


def _held(steering: tuple[InForce, dict], customer) -> tuple[InForce, list[HeldAssignment]]:
    return steering[0], steering[1].get(customer.id, [])


async def _pure_plan(
    stack, tenant, strategies, day: date, cutoff: datetime, steering: tuple[InForce, dict] | None = None
) -> list[CustomerPlan]:
    async with stack.engine.connect() as conn:
        customers = (await conn.execute(text("SELECT * FROM dunning.customers"))).mappings().all()
        invoices = (await conn.execute(text(f"{pending.INVOICES} ORDER BY i.id"))).mappings().all()
        open_items = {
            invoice_id: item_id
            for item_id, invoice_ids in (
                await conn.execute(text("SELECT id, invoice_ids FROM dunning.action_items WHERE status = 'open'"))
            ).all()
            for invoice_id in invoice_ids
        }
    plans = []
    for row in customers:
        own = [invoice_view(i, cutoff, open_items) for i in invoices if i["customer_id"] == row["id"]]
        customer = customer_view(row)
        choice = None
        if steering is not None:  # issue 19: the experiments' reference (``experiments.rules.choose``)
            in_force_now, held = steering
            choice = choose(strategies, customer, overdue_amounts(own, day), in_force_now, held.get(customer.id, []))
        evaluation = evaluate_customer(
            customer, own, strategies, day, tenant.calendar, tenant.tolerances, tenant.reply_pause_days, choice
        )
        if evaluation.plan.items:
            plans.append(evaluation.plan)
    return plans


@pytest.mark.parametrize(("seed", "experiments"), [(1, False), (2, False), (3, False), (4, True)])
async def test_sql_selection_and_pure_rules_agree(api, stack, seed, experiments):
    rng = random.Random(seed)
    tenant_ctx = await dunning_tenant(api, stack)
    headers = tenant_ctx.admin
    await api.patch("/v1/dunning-settings", json={"tolerances": {"ARS": "100", "USD": "5"}}, headers=headers)
    await create_strategy(api, headers, steps=[*STANDARD_STEPS[:3], CALL_8, *STANDARD_STEPS[3:]])
    await create_strategy(
        api, headers, name="VIP", priority=1, is_default=False, manual_only=True, steps=[], match={"vip": True}
    )
    await create_strategy(
        api,
        headers,
        name="High risk",
        priority=10,
        is_default=False,
        match={"risk_levels": ["high"]},
        steps=[
            {"key": "pre-5", "kind": "pre_due", "days": 5, "channels": ["sms", "email"]},
            {"key": "od-1", "kind": "overdue", "days": 1, "tone": 2, "channels": ["sms", "whatsapp"]},
            {"key": "od-10", "kind": "overdue", "days": 10, "tone": 3, "channels": ["whatsapp", "sms", "email"]},
            {"key": "call-14", "kind": "call", "days": 14, "tone": 3, "script": "Llamar: {{ total }}"},
            {"key": "suspend-20", "kind": "action", "days": 20, "action": "suspend_service", "channels": ["email"]},
        ],
    )
    await create_strategy(
        api,
        headers,
        name="Computed high risk",  # receivables' warning signs (issue 18)
        priority=15,
        is_default=False,
        match={"computed_risk_levels": ["high", "medium"], "vip": False},
        steps=STANDARD_STEPS[1:4],
    )
    await create_strategy(
        api,
        headers,
        name="Wholesale north",
        priority=20,
        is_default=False,
        match={"segments": ["wholesale"], "tags_any": ["north"], "countries": ["AR"]},
        steps=[*STANDARD_STEPS[2:4], CALL_20, *STANDARD_STEPS[4:5]],
    )
    await create_strategy(
        api,
        headers,
        name="Big debt",
        priority=5,
        is_default=False,
        match={"amount_overdue": {"currency": "ARS", "min": "5000"}},
        steps=[{"key": "od-3", "kind": "overdue", "days": 3, "tone": 3, "channels": ["email", "sms"]}, CALL_20],
    )
    await create_strategy(api, headers, name="Draft", priority=0, is_default=False, active=False, steps=STANDARD_STEPS)
    await create_strategy(  # issue 19: the installments of payment plans, whatever their customer's strategy
        api,
        headers,
        name="Installments",
        priority=0,
        is_default=False,
        for_payment_plans=True,
        steps=[
            {"key": "inst-pre-5", "kind": "pre_due", "days": 5, "channels": ["whatsapp", "email"]},
            {"key": "inst-od-2", "kind": "overdue", "days": 2, "tone": 2, "channels": ["email", "sms"]},
            {"key": "inst-call-9", "kind": "call", "days": 9, "script": "Cuota vencida: {{ total }}"},
        ],
    )
    customers = _customers(rng, 100)
    await feed(stack, tenant_ctx.id, customers)
    invoices = _invoices(rng, customers, DAYS[0])
    await feed(stack, tenant_ctx.id, invoices)
    await _record_charges(stack, random.Random(-seed), tenant_ctx.id, invoices)  # the portfolio's stream untouched
    async with stack.engine.connect() as conn, AsyncSession(bind=conn) as session:
        tenant = await load_tenant(session, tenant_ctx.id)
        strategies = await load_strategies(session, tenant_ctx.id)
    await _scramble_history(stack, rng, strategies)
    steering = await _experiments(api, stack, tenant_ctx.id, headers, strategies) if experiments else None
    cutoff = pending_cutoff(EXPIRY_HOURS)
    compared = called = charged = installments = 0
    for day in DAYS:
        pure = await _pure_plan(stack, tenant, strategies, day, cutoff, steering)
        in_force_now = steering[0] if steering else None
        sql_plan, messages, tasks, calls = await _statements_plan(stack, tenant, strategies, day, cutoff, in_force_now)
        assert _rows_summary(sql_plan) == _summary(pure), day
        assert messages == await _pure_messages(stack, pure, tenant, day), day
        # a real run's way: the messages planned without their tones, each part's dispatches written with them
        dispatched, handed = await _handed_over(stack, tenant, strategies, day, cutoff, in_force_now)
        assert _rows_summary(dispatched) == _summary(pure), day
        assert handed == messages, day
        assert tasks == _pure_tasks(pure, tenant, day), day
        assert calls == _pure_calls(pure, tenant, day), day
        compared += len(messages) + len(tasks)
        charged += sum(1 for m in messages.values() if m["charges"])
        called += len(calls)
        installments += sum(key.startswith("inst-") for row in sql_plan for key in row["step_keys"])
    assert installments > 0  # the payment plans' strategy followed some installments
    assert compared > 20  # the portfolios are not trivially empty
    if steering is not None:  # the experiments steer many customers away from their match
        async with stack.engine.connect() as conn:
            rows = (await conn.execute(text("SELECT * FROM dunning.customers"))).mappings().all()
        views = [customer_view(r) for r in rows]
        steered = [c for c in views if choose(strategies, c, {}, *_held(steering, c)) != select_strategy(strategies, c)]
        assert len(steered) > 5
    assert charged > 0  # and messages list late charges
    assert called > 0
    assert all(Channel(row["channel"]) for row in sql_plan if row["channel"])


async def _statements_plan(stack, tenant, strategies, day: date, cutoff: datetime, in_force_now=None):
    """The run's statements' plan (into a temporary table, as a dry run), its messages and its tasks."""
    compiled = selection.compile_strategies(strategies, in_force_now)
    params = statements.plan_params(tenant, RUN_ID, day, compiled, cutoff, parts=4)
    async with stack.engine.begin() as conn, AsyncSession(bind=conn) as session:
        open_day = tenant.calendar.closed_reason(day) is None
        await plan_repository.plan_table(session, PLANNED, compiled, params if open_day else None, final_tones=True)
        rows = (await conn.execute(text(f"SELECT * FROM {PLANNED}"))).mappings().all()
        query = handover_repository.communications_query(f"SELECT * FROM {PLANNED} WHERE channel IS NOT NULL")
        built = (await conn.execute(text(query), handover_repository.message_params(tenant, day))).mappings().all()
        task_rows = await conn.execute(
            text(handover_repository.task_payloads_query(f"SELECT * FROM {PLANNED}")),
            handover_repository.task_params(tenant, day, params),
        )
        tasks = {p["idempotency_key"]: CreateTask.model_validate(p).model_dump() for p in task_rows.scalars()}
        call_rows = await conn.execute(
            text(handover_repository.call_payloads_query(f"SELECT * FROM {PLANNED} WHERE kind = 'call'")),
            {**handover_repository.task_params(tenant, day, params), "run_id": RUN_ID},
        )
        calls = {row.payload["idempotency_key"]: CallTask.model_validate(row.payload).model_dump() for row in call_rows}
    assert all(0 <= row["part"] < 4 for row in rows)
    messages = {}
    for row in built:
        message = Communication.model_validate(row["payload"])
        messages[message.idempotency_key] = message.model_dump(exclude={"source_ref"})
    return rows, messages, tasks, calls


async def _handed_over(stack, tenant, strategies, day: date, cutoff: datetime, in_force_now=None):
    """A real run's plan and the hand-over of its parts (rolled back): the dispatches written and the messages of
    the commands to messaging."""
    compiled = selection.compile_strategies(strategies, in_force_now)
    params = statements.plan_params(tenant, RUN_ID, day, compiled, cutoff, parts=4)
    if tenant.calendar.closed_reason(day) is not None:
        return [], {}
    async with stack.engine.connect() as conn, AsyncSession(bind=conn) as session:
        await plan_repository.plan_into(session, compiled, params)
        for part in range(4):
            await handover_repository.hand_over_part(session, tenant, RUN_ID, day, part, command_batch_size=7)
        rows = (await conn.execute(text("SELECT * FROM dunning.dispatches WHERE run_id = :r"), {"r": RUN_ID})).all()
        commands = await conn.execute(
            text("SELECT payload FROM dunning.outbox WHERE tenant_id = :t AND message_type = :m"),
            {"t": tenant.tenant_id, "m": SendDispatchedCommunications.message_type},
        )
        named = [uuid.UUID(i) for command in commands.scalars() for i in command["dispatch_ids"]]
        assert sorted(named) == sorted(row.id for row in rows if row.channel is not None)  # each message once
        # their content as messaging gets it (``POST /internal/dispatched-communications``), in the run's transaction
        built = await handover_repository.dispatched_communications(session, tenant, named)
        handed = {}
        for dispatch_id in named:
            message = Communication.model_validate_json(built[dispatch_id])
            assert message.data["run_id"] == str(RUN_ID) and message.source_ref == str(dispatch_id)
            handed[message.idempotency_key] = message.model_dump(exclude={"source_ref"})
        await session.rollback()
    return [row._mapping for row in rows], handed


def _rows_summary(rows) -> set[tuple]:
    out = set()
    for row in rows:
        items = tuple((str(i), k) for i, k in zip(row["invoice_ids"], row["step_keys"], strict=True))
        if row["kind"] == "call":
            out.add((str(row["customer_id"]), "call", None, row["tone"], row["idempotency_key"], items))
        elif row["channel"] is None:
            out.add((str(row["customer_id"]), "task", None, None, row["idempotency_key"], items))
        else:
            out.add((str(row["customer_id"]), row["channel"], row["kind"], row["tone"], row["idempotency_key"], items))
    return out


async def _record_charges(stack, rng: random.Random, tenant_id: uuid.UUID, invoices: list[InvoiceChanged]) -> None:
    """Late charges of some invoices (issue 19), open, waived or invoiced: a message lists its customer's open ones."""
    async with stack.engine.begin() as conn:
        for n, inv in enumerate(rng.sample(invoices, len(invoices) // 4)):
            await conn.execute(
                text(
                    "INSERT INTO dunning.charges (tenant_id, id, key, invoice_id, customer_id, invoice_number, "
                    "rule_key, kind, period, description, currency, amount, charged_on, status) VALUES (:t, "
                    "gen_random_uuid(), :key, :inv, :cust, :num, 'r', :kind, 'p', :d, :cur, :amount, :day, :status)"
                ),
                {
                    "t": tenant_id, "key": f"k{n}", "inv": inv.invoice_id, "cust": inv.customer_id,
                    "num": inv.number, "kind": rng.choice(["fixed", "percentage", "interest"]), "d": f"Cargo {n}",
                    "cur": inv.currency, "amount": Decimal(rng.choice(["500", "12.34", "0.99"])),
                    "day": DAYS[0] - timedelta(rng.randint(0, 3)),
                    "status": rng.choice(["open", "open", "waived", "invoiced"]),
                },
            )  # fmt: skip
        async with AsyncSession(bind=conn) as session:  # as an assessment keeps them for the messages
            await fees.keep_open_charges(session, [(tenant_id, inv.customer_id) for inv in invoices])


async def _pure_messages(stack, plans: list[CustomerPlan], tenant, day: date) -> dict[str, dict]:
    async with stack.engine.connect() as conn, AsyncSession(bind=conn) as session:
        charges = await fees.customer_charges(session, tenant.tenant_id, [p.customer.id for p in plans])
    out = {}
    for plan in plans:
        for c in plan.communications:
            own = charges.get(plan.customer.id, ())
            payload = payloads.communication(c, plan.customer, tenant, day, uuid.uuid4(), RUN_ID, charges=own)
            out[c.key] = Communication.model_validate(payload).model_dump(exclude={"source_ref"})
    return out


def _pure_tasks(plans: list[CustomerPlan], tenant, day: date) -> dict[str, dict]:
    return {
        t.key: CreateTask.model_validate(payloads.task(t, plan.customer, tenant, day)).model_dump()
        for plan in plans
        for t in plan.tasks
    }


def _pure_calls(plans: list[CustomerPlan], tenant, day: date) -> dict[str, dict]:
    return {
        call.key: CallTask.model_validate(payloads.call_task(call, plan.customer, tenant, day, RUN_ID)).model_dump()
        for plan in plans
        for call in plan.calls
    }
