"""A call step's script in messaging (issue 18): checked like a text template for dunning over the internal API (only
a service may ask), and rendered for the call's customer with the templates' engine, context and tags into
receivables' task; a script that fails still gives the task, with the problem and the raw script."""

import uuid
from datetime import date
from decimal import Decimal

import httpx

from messaging_service.calls.scripts import call_task, check_script
from messaging_service.templates.context import TenantView
from shared.contracts.common import InvoiceLine, MoneyAmount, Person
from shared.contracts.messaging import CallTask, CustomerInfo
from shared.identity import COLLECTOR, SERVICE, identity_headers
from tests.support import create_tenant

TODAY = date(2025, 6, 9)
CUSTOMER = uuid.UUID("00000000-0000-4000-8000-0000000000c1")
TENANT = TenantView(name="Lácteos del Plata", country="AR", language="es")


def call(script: str, **overrides) -> CallTask:
    lines = [
        InvoiceLine(
            invoice_id=uuid.uuid4(),
            number=number,
            currency="ARS",
            amount=Decimal(amount),
            open_amount=Decimal(amount),
            issue_date=date(2025, 5, 1),
            due_date=date(2025, 6, 3),
            days_overdue=6,
            triggered=triggered,
        )
        for number, amount, triggered in (("A-1", "1500.00", True), ("A-2", "700.00", True), ("B-9", "50.00", False))
    ]
    fields = {
        "idempotency_key": "dunning:c1:call:2025-06-09:abc",
        "customer_id": CUSTOMER,
        "assignee_id": uuid.UUID("00000000-0000-4000-8000-0000000000a1"),
        "due_date": TODAY,
        "step_key": "call-4",
        "script": script,
        "customer": CustomerInfo(customer_id=CUSTOMER, name="Ferretería Norte", country="AR", language="es"),
        "recipient_name": "Ferretería Norte",
        "invoices": lines,
        "totals": [MoneyAmount(currency="ARS", amount=Decimal("2250.00"))],
        "overdue_count": 3,
        "oldest_days_overdue": 6,
        "collector": Person(name="Carla Cobradora", phone="+5491155550002"),
    }
    return CallTask(**{**fields, **overrides})


def test_the_script_renders_for_the_customer_with_the_templates_tags():
    script = (
        "{{ customer.name }}: {{ total }} ({{ overdue_count | counted('factura vencida', 'facturas vencidas') }}), "
        "{{ triggered_numbers }}. {{ collector.name }} el {{ today }}; {{ kind }} por {{ channel }}."
    )
    task = call_task(call(script), TENANT)
    assert task.title == "Llamar a Ferretería Norte (paso call-4 del plan de llamadas)"
    assert task.description == (
        "Ferretería Norte: $ 2.250,00 (3 facturas vencidas), A-1 y A-2. Carla Cobradora el 09/06/2025; call por call."
        "\n\nFacturas: A-1 y A-2"
    )
    assert (task.idempotency_key, task.customer_id, task.due_date) == (call("").idempotency_key, CUSTOMER, TODAY)
    assert task.assignee_id == call("").assignee_id and task.source == "dunning"
    # portal links are credentials for the customer: a staff task never carries one
    assert call_task(call("[{{ portal_link }}]"), TENANT).description.startswith("[None]")


def test_a_script_that_fails_gives_the_task_with_the_problem_and_the_raw_script():
    for failing in ("{{ invoices[7].number }}", "{% for i in range(10**9) %}x{% endfor %}"):
        description = call_task(call(failing), TENANT).description
        assert description.startswith("El guion no se pudo preparar (")
        assert failing in description and description.endswith("Facturas: A-1 y A-2")
    english = TenantView(name="Dairy", country="US", language="en")
    assert call_task(call("{{ nope }}"), english).description.startswith("The script could not be prepared")


def test_check_script_is_the_templates_check_without_partials():
    assert check_script("Hola {{ customer.name }} {{ total }}") == []
    assert check_script("{{ customer.nmae }}") == ["unknown tag 'customer.nmae'"]
    assert check_script("{% include 'firma' %}") == [
        "template limit 'include': 'firma' is not one of the tenant's partials"
    ]
    assert check_script("{{ customer.name ")[0].startswith("syntax error")


async def test_only_a_service_may_ask_the_internal_check(api, stack):
    tenant = await create_tenant(api)
    app = stack.services["messaging"]
    secret = app.state.settings.internal_secret
    body = {"sources": ["Hola {{ customer.name }}", "{{ cliente }}"]}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://messaging.test") as client:
        as_service = identity_headers(secret, tenant.id, "service:dunning", [SERVICE])
        answer = await client.post("/internal/script-checks", json=body, headers=as_service)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"problems": [[], ["unknown tag 'cliente'"]]}
        as_collector = identity_headers(secret, tenant.id, f"user:{tenant.admin_id}", [COLLECTOR])
        assert (await client.post("/internal/script-checks", json=body, headers=as_collector)).status_code == 403
        too_many = await client.post("/internal/script-checks", json={"sources": ["x"] * 31}, headers=as_service)
        assert too_many.status_code == 422
