"""Strategy experiments through the API with the real receivables and dunning (issue 19, point 3): create, start
(the population dealt as the pure rule deals it, stratified and balanced), later customers dealt at the next run, runs
send each variant's steps, explain names the variant, stop moves everyone (newcomers too), and the results equal the
metrics computed by hand on a seeded portfolio (facts from receivables' internal endpoint)."""

import uuid
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession

from dunning_service.experiments import service as experiments_service
from dunning_service.experiments import stats
from dunning_service.experiments.rules import Assignment, StratifyBy, Variant, assign
from dunning_service.projection.views import customer_view
from dunning_service.runs.context import load_strategies
from tests.dunning.support import Messaging, Portfolio, create_strategy, deliver, dunning_tenant, real_run
from tests.support import create_api_key
from tests.tenant_clock_support import start_test_clock

OD1_EMAIL = [{"key": "od-1", "kind": "overdue", "days": 1, "tone": 1, "channels": ["email", "sms"]}]
OD1_SMS = [{"key": "od-1", "kind": "overdue", "days": 1, "tone": 3, "channels": ["sms"]}]
WINDOW = 10
CLOCK = datetime(2027, 4, 14, 15, 0, tzinfo=UTC)  # a Wednesday, 12:00 in Buenos Aires


async def _post(api, path, headers, body, expect=201):
    response = await api.post(path, json=body, headers=headers)
    assert response.status_code == expect, response.text
    return response.json()


async def _customer(api, erp, n: int, segment: str) -> str:
    contacts = [{"channel": "email", "address": f"c{n}@example.com"}, {"channel": "sms", "address": "+5491155551234"}]
    body = {"name": f"Cliente {n}", "segment": segment, "contacts": contacts}
    return (await _post(api, "/v1/customers", erp, body))["id"]


async def _invoice(api, erp, customer: str, number: str, amount: str, issue: date, due: date) -> str:
    body = {"customer_id": customer, "number": number, "currency": "ARS", "amount": amount}
    body |= {"issue_date": issue.isoformat(), "due_date": due.isoformat()}
    return (await _post(api, "/v1/invoices", erp, body))["id"]


async def _pay(api, erp, customer: str, invoice: str, amount: str, day: date) -> None:
    body = {"customer_id": customer, "currency": "ARS", "amount": amount, "payment_date": day.isoformat()}
    await _post(api, "/v1/payments", erp, body | {"invoices": [{"invoice_id": invoice}]})


async def _assignments(stack, experiment_id: str) -> dict[uuid.UUID, Assignment]:
    async with stack.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT customer_id, variant_key, stratum FROM dunning.experiment_assignments WHERE experiment_id = :e"
            ),
            {"e": experiment_id},
        )
        return {r.customer_id: Assignment(r.variant_key, r.stratum) for r in rows}


async def _pure_assignments(stack, tenant_id, experiment_id: str, variants, ids) -> dict[uuid.UUID, Assignment]:
    async with stack.engine.connect() as conn, AsyncSession(bind=conn):
        rows = (
            await conn.execute(text("SELECT * FROM dunning.customers WHERE tenant_id = :t"), {"t": tenant_id})
        ).mappings()
        population = [customer_view(r) for r in rows if str(r["id"]) in ids]
    return assign(uuid.UUID(experiment_id), variants, StratifyBy.SEGMENT, {}, population)


async def _explain(api, headers, customer: str) -> dict:
    response = await api.get(f"/v1/dunning-explain/{customer}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_an_experiment_from_draft_to_results(api, stack):
    tenant = await dunning_tenant(api, stack, sandbox=True)
    admin, erp = tenant.admin, await create_api_key(api, tenant, rate_limit_per_minute=100000)
    await start_test_clock(api, tenant, CLOCK)  # a business day, whatever the wall clock's
    await deliver(stack)
    standard = await create_strategy(api, admin, steps=OD1_EMAIL)
    firm = await create_strategy(
        api, admin, name="Firm", priority=50, is_default=False, match={"segments": ["nobody"]}, steps=OD1_SMS
    )
    today = date.fromisoformat((await api.get("/v1/receivables-settings", headers=admin)).json()["today"])
    assert today == date(2027, 4, 14)
    segments = ["retail", "wholesale"]
    customers = [await _customer(api, erp, n, segments[n % 2]) for n in range(12)]
    owed = {
        c: await _invoice(api, erp, c, f"A-{n}", "1000", today - timedelta(30), today - timedelta(1))
        for n, c in enumerate(customers)
    }
    await deliver(stack)

    variants = [
        {"key": "control", "name": "As is", "strategy_id": standard["id"], "weight": 1},
        {"key": "firm", "name": "Firmer", "strategy_id": firm["id"], "weight": 1},
    ]
    body = {"name": "Tone test", "scope_strategy_id": standard["id"], "variants": variants, "window_days": WINDOW}
    bad = await _post(api, "/v1/strategy-experiments", admin, body | {"variants": [variants[0], variants[0]]}, 422)
    assert [e["field"] for e in bad["errors"]] == ["variants[1].key"]
    unknown = [{**variants[0], "strategy_id": str(uuid.uuid4())}, variants[1]]
    bad = await _post(api, "/v1/strategy-experiments", admin, body | {"variants": unknown}, 422)
    assert [e["field"] for e in bad["errors"]] == ["variants[0].strategy_id"]
    plans = await create_strategy(api, admin, name="Plans", is_default=False, for_payment_plans=True, steps=OD1_SMS)
    on_plans = [variants[0], {**variants[1], "strategy_id": plans["id"]}]  # it follows installments, not customers
    bad = await _post(api, "/v1/strategy-experiments", admin, body | {"scope_strategy_id": plans["id"]}, 422)
    assert [e["field"] for e in bad["errors"]] == ["scope_strategy_id"]
    bad = await _post(api, "/v1/strategy-experiments", admin, body | {"variants": on_plans}, 422)
    assert [e["field"] for e in bad["errors"]] == ["variants[1].strategy_id"]
    draft = await _post(api, "/v1/strategy-experiments", admin, body)
    assert (draft["status"], draft["assignments"]) == ("draft", [])
    eid = draft["id"]

    started = await _post(api, f"/v1/strategy-experiments/{eid}/start", admin, None, 200)
    assert (started["status"], started["started_on"]) == ("running", today.isoformat())
    assert {(a["stratum"], a["customers"]) for a in started["assignments"]} == {("retail", 3), ("wholesale", 3)}
    held = await _assignments(stack, eid)
    domain = [Variant(v["key"], v["name"], uuid.UUID(v["strategy_id"]), 1) for v in variants]
    assert held == await _pure_assignments(stack, tenant.id, eid, domain, set(customers))  # the SQL deals as the rule
    await _post(api, f"/v1/strategy-experiments/{eid}/start", admin, None, 409)
    listed = (await api.get("/v1/strategy-experiments", params={"status": "running"}, headers=admin)).json()
    assert [(e["id"], e["assignments"]) for e in listed["items"]] == [(eid, started["assignments"])]
    assert (await api.get(f"/v1/strategy-experiments/{eid}", headers=admin)).json() == started
    rival = await _post(api, "/v1/strategy-experiments", admin, body | {"name": "Rival"})
    bad = await _post(api, f"/v1/strategy-experiments/{rival['id']}/start", admin, None, 422)
    assert [e["field"] for e in bad["errors"]] == ["scope_strategy_id"]

    late = await _customer(api, erp, 12, "retail")  # a newcomer of the population: dealt at the next run
    await _invoice(api, erp, late, "A-12", "1000", today - timedelta(30), today - timedelta(1))
    await deliver(stack)
    messaging = Messaging(stack, tenant.id)
    before = held
    await real_run(api, admin, today)
    held = await _assignments(stack, eid)
    assert late in {str(c) for c in held} and all(held[c] == a for c, a in before.items())  # stable
    retail = Counter(a.variant_key for a in held.values() if a.stratum == "retail")
    assert sorted(retail.values()) == [3, 4]  # balanced within one
    sent = {c.customer.customer_id: (c.channel, c.tone) for c in await messaging.take()}
    for customer_id, a in held.items():
        assert sent[customer_id] == (("email", 1) if a.variant_key == "control" else ("sms", 3)), a

    some_firm = next(str(c) for c, a in held.items() if a.variant_key == "firm")
    some_control = next(str(c) for c, a in held.items() if a.variant_key == "control")
    shown = await _explain(api, admin, some_firm)
    assert shown["strategy"]["name"] == "Firm"
    assert shown["strategy_reason"].startswith("experiment 'Tone test', variant firm (Firmer) (stratum ")

    stopped = await _post(api, f"/v1/strategy-experiments/{eid}/stop", admin, {"chosen_variant": "nope"}, 422)
    assert [e["field"] for e in stopped["errors"]] == ["chosen_variant"]
    stopped = await _post(api, f"/v1/strategy-experiments/{eid}/stop", admin, {"chosen_variant": "firm"}, 200)
    assert (stopped["status"], stopped["chosen_variant"]) == ("stopped", "firm")
    moved = await _explain(api, admin, some_control)
    assert moved["strategy"]["name"] == "Firm" and "everyone follows variant firm" in moved["strategy_reason"]
    after = await _customer(api, erp, 13, "wholesale")  # after the stop: the chosen strategy, never dealt
    await deliver(stack)
    assert (await _explain(api, admin, after))["strategy"]["name"] == "Firm"
    assert after not in {str(c) for c in await _assignments(stack, eid)}

    # The results: as if started 20 days ago, on a portfolio seeded per customer (n = its number).
    start = today - timedelta(20)
    async with stack.engine.begin() as conn:
        await conn.execute(text("UPDATE dunning.experiments SET started_on = :d WHERE id = :e"), {"d": start, "e": eid})
    number = {c: n for n, c in enumerate([*customers, late])}
    days: dict[str, int] = {}
    for c, n in number.items():
        if n == 12:
            continue
        if n % 4 == 0:  # a promise 5 days ago
            when = datetime.combine(today - timedelta(5), time(15), UTC).isoformat()
            body = {"customer_id": c, "kind": "promise_to_pay", "invoice_ids": [owed[c]], "occurred_at": when}
            await _post(api, "/v1/outcomes", admin, body | {"promised_date": (today + timedelta(3)).isoformat()})
        if n % 3 == 0:  # the invoice due yesterday paid today: 1 day
            await _pay(api, erp, c, owed[c], "1000", today)
            days[c] = 1
        elif n % 3 == 1:  # an invoice due before the start, paid 5 days after it
            b = await _invoice(api, erp, c, f"B-{n}", "500", today - timedelta(60), today - timedelta(30))
            await _pay(api, erp, c, b, "500", today - timedelta(15))
            days[c] = 5
        else:  # an invoice falling due in the period, paid 16 days after its due date: not within 10
            b = await _invoice(api, erp, c, f"C-{n}", "300", today - timedelta(40), today - timedelta(18))
            await _pay(api, erp, c, b, "300", today - timedelta(2))
            days[c] = 16
    response = await api.get(f"/v1/strategy-experiments/{eid}/results", headers=admin)
    assert response.status_code == 200, response.text
    results = response.json()
    assert (results["start"], results["end"], results["control"]) == (start.isoformat(), today.isoformat(), "control")
    expected: dict[str, dict] = {}
    for key in ("control", "firm"):
        members = [str(c) for c, a in held.items() if a.variant_key == key]
        n_all = len(members)
        promised = sum(1 for c in members if number[c] % 4 == 0 and number[c] != 12)
        invoices = n_all + sum(1 for c in members if number[c] != 12 and number[c] % 3 != 0)  # A, plus B or C
        within = sum(1 for c in members if number[c] != 12 and number[c] % 3 != 2)
        paid_days = [float(days[c]) for c in members if c in days]
        amounts = [float({0: 1000, 1: 500, 2: 300}[number[c] % 3]) if number[c] != 12 else 0.0 for c in members]
        expected[key] = {
            "customers": n_all,
            "promise": stats.wilson(promised, n_all),
            "within": stats.wilson(within, invoices),
            "days": stats.mean(paid_days),
            "amount": stats.mean(amounts),
            "total": sum(Decimal(str(a)) for a in amounts),
        }
    by_key = {v["key"]: v for v in results["variants"]}

    def same(got: dict, e: stats.Estimate) -> bool:
        return [got["value"], got["low"], got["high"]] == pytest.approx([e.value, e.low, e.high])

    for key, e in expected.items():
        got = by_key[key]
        assert got["customers"] == e["customers"]
        assert same(got["promise_rate"], e["promise"]) and same(got["paid_within"], e["within"])
        assert same(got["days_to_pay"], e["days"])
        (ars,) = got["collected"]
        assert Decimal(ars["total"]) == e["total"] and same(ars["per_customer"], e["amount"])
    firm, control = expected["firm"], expected["control"]
    for metric, name in (("promise_rate", "promise"), ("paid_within", "within"), ("days_to_pay", "days")):
        assert same(by_key["firm"]["vs_control"][metric], stats.difference(firm[name], control[name])), metric
    assert same(by_key["firm"]["collected"][0]["vs_control"], stats.difference(firm["amount"], control["amount"]))
    assert by_key["control"]["vs_control"] is None and by_key["control"]["collected"][0]["vs_control"] is None


async def test_the_sql_deals_as_the_rule_with_weights_strata_and_newcomers(api, stack):
    """Weights 1:2:1 stratified by risk level; the population at the start, then newcomers dealt by a run's step
    (``service.steered(..., assign=True)``) on top of the held ones: the table equals ``rules.assign`` each time, the
    held never move, and a customer outside the scope strategy's population is never dealt."""
    tenant = await dunning_tenant(api, stack)
    admin = tenant.admin
    standard = await create_strategy(api, admin, steps=OD1_EMAIL)
    vip = await create_strategy(
        api, admin, name="VIP", priority=1, is_default=False, match={"vip": True}, manual_only=True, steps=[]
    )
    firm = await create_strategy(
        api, admin, name="Firm", priority=50, is_default=False, match={"segments": ["nobody"]}, steps=OD1_SMS
    )
    portfolio = Portfolio(stack, tenant.id)
    risks = [None, "low", "medium", "high", "High"]
    for n in range(40):
        await portfolio.customer(f"C{n}", email=f"c{n}@x.example", risk_level=risks[n % 5], vip=n % 13 == 0)
    weights = {"control": (standard["id"], 1), "firm": (firm["id"], 2), "quiet": (vip["id"], 1)}
    variants = [{"key": k, "name": k, "strategy_id": s, "weight": w} for k, (s, w) in weights.items()]
    body = {"name": "Weights", "scope_strategy_id": standard["id"], "variants": variants, "stratify_by": "risk_level"}
    eid = (await _post(api, "/v1/strategy-experiments", admin, body))["id"]
    await _post(api, f"/v1/strategy-experiments/{eid}/start", admin, None, 200)
    domain = [Variant(k, k, uuid.UUID(s), w) for k, (s, w) in weights.items()]

    async def population() -> list:
        async with stack.engine.connect() as conn:
            rows = await conn.execute(text("SELECT * FROM dunning.customers WHERE tenant_id = :t"), {"t": tenant.id})
            return [c for c in map(customer_view, rows.mappings()) if not c.vip]

    first = await _assignments(stack, eid)
    assert first == assign(uuid.UUID(eid), domain, StratifyBy.RISK_LEVEL, {}, await population())
    assert len(first) == 40 - 4  # the VIP customers (n = 0, 13, 26, 39) are another strategy's
    for n in range(40, 65):
        await portfolio.customer(f"C{n}", email=f"c{n}@x.example", risk_level=risks[n % 7 % 5])
    async with stack.engine.begin() as conn, AsyncSession(bind=conn) as session:
        strategies = await load_strategies(session, tenant.id)
        await experiments_service.steered(session, tenant.id, strategies, date(2025, 6, 4), assign=True)
    after = await _assignments(stack, eid)
    assert all(after[c] == a for c, a in first.items())
    assert after == {**first, **assign(uuid.UUID(eid), domain, StratifyBy.RISK_LEVEL, first, await population())}
    assert len(after) == 36 + 25


async def test_large_coprime_weights_deal_as_the_rule(api, stack):
    """Seven variants of weights near 1000 (the schema's bound): the weights' common multiple (about 10^21) and its
    slots overflow a bigint, so the SQL orders them as exact numerics; the deal still equals ``rules.assign``."""
    tenant = await dunning_tenant(api, stack)
    standard = await create_strategy(api, tenant.admin, steps=OD1_EMAIL)
    portfolio = Portfolio(stack, tenant.id)
    for n in range(30):
        await portfolio.customer(f"C{n}", email=f"c{n}@x.example")
    weights = [997, 991, 983, 977, 971, 967, 953]
    variants = [{"key": f"v{w}", "name": f"V{w}", "strategy_id": standard["id"], "weight": w} for w in weights]
    body = {"name": "Primes", "scope_strategy_id": standard["id"], "variants": variants, "stratify_by": "none"}
    eid = (await _post(api, "/v1/strategy-experiments", tenant.admin, body))["id"]
    await _post(api, f"/v1/strategy-experiments/{eid}/start", tenant.admin, None, 200)
    async with stack.engine.connect() as conn:
        rows = await conn.execute(text("SELECT * FROM dunning.customers WHERE tenant_id = :t"), {"t": tenant.id})
        population = [customer_view(r) for r in rows.mappings()]
    domain = [Variant(v["key"], v["name"], uuid.UUID(v["strategy_id"]), v["weight"]) for v in variants]
    held = await _assignments(stack, eid)
    assert len(held) == 30
    assert held == assign(uuid.UUID(eid), domain, StratifyBy.NONE, {}, population)


async def test_a_run_without_an_experiment_in_force_costs_one_small_query(api, stack):
    """A draft and an experiment stopped without a choice steer nobody: a run's ``steered(..., assign=True)`` reads
    the experiments (one statement on a handful of rows), deals nobody and compiles the plain selection."""
    tenant = await dunning_tenant(api, stack)
    standard = await create_strategy(api, tenant.admin, steps=OD1_EMAIL)
    firm = await create_strategy(
        api, tenant.admin, name="Firm", priority=50, is_default=False, match={"segments": ["x"]}, steps=OD1_SMS
    )
    await Portfolio(stack, tenant.id).customer("C0", email="c0@x.example")
    variants = [{"key": k, "name": k, "strategy_id": s["id"]} for k, s in (("a", standard), ("b", firm))]
    body = {"name": "Off", "scope_strategy_id": standard["id"], "variants": variants}
    await _post(api, "/v1/strategy-experiments", tenant.admin, body)  # a draft
    stopped = (await _post(api, "/v1/strategy-experiments", tenant.admin, body | {"name": "Done"}))["id"]
    await _post(api, f"/v1/strategy-experiments/{stopped}/start", tenant.admin, None, 200)
    await _post(api, f"/v1/strategy-experiments/{stopped}/stop", tenant.admin, {}, 200)
    statements: list[str] = []

    def seen(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    async with stack.engine.begin() as conn, AsyncSession(bind=conn) as session:
        strategies = await load_strategies(session, tenant.id)
        event.listen(conn.sync_connection, "before_cursor_execute", seen)
        compiled = await experiments_service.steered(session, tenant.id, strategies, date(2025, 6, 4), assign=True)
        event.remove(conn.sync_connection, "before_cursor_execute", seen)
    assert compiled.steer_sql is None
    assert len(statements) == 1 and "dunning.experiments" in statements[0], statements
