"""Templates cannot hurt the service: every render runs under limits (iterations, output size, nesting, no include),
a breach is a 422 naming the limit on save and preview and ``template_error`` on a send, and other tenants' messages
go out meanwhile."""

import asyncio
import dataclasses
import time
import uuid

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from messaging_service.models import Template
from messaging_service.templates import budget, renders
from messaging_service.templates.budget import TemplateLimit
from messaging_service.templates.engine import render
from tests.messaging.support import communication, deliver, messages, messaging_tenant, send, settings

ABUSES = {
    "iterations": "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
    "output_size": "{{ 'x' * 50000000 }}",
    "recursion_depth": "{% macro m(n) %}{{ m(n + 1) }}{{ m(n + 1) }}{% endmacro %}{{ m(0) }}",
    "include": "{% include 'other' %}",
}

MORE = [
    ("iterations", "{{ range(10**9)|list|length }}"),
    ("iterations", "{% for i in invoices %}{% for j in invoices %}{% for k in range(99999) %}{% endfor %}"),
    ("output_size", "{% set ns = namespace(s='xxxxxxxxxx') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}"),
    ("output_size", "{% set ns = namespace(s='xxxxxxxxxx') %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}"),
    ("output_size", "{{ 'x'|center(1000000000) }}"),
    ("output_size", "{{ 'x'.ljust(1000000000) }}"),
    ("output_size", "{{ '%999999999d' % 1 }}"),
    ("output_size", "{{ '{:999999999}'.format(1) }}"),
    ("output_size", "{{ 9 ** 999999 }}"),
    ("output_size", "{% set s = 'x' * 100000 %}{{ s|replace('x', s) }}"),
    ("output_size", "{{ range(100000)|map('center', 100000)|join }}"),
    ("output_size", "{% for i in range(99999) %}{{ 'x' * 99 }}{% endfor %}"),
    ("recursion_depth", "{% for x in [[1], [2]] recursive %}{{ loop([x, x]) }}{% endfor %}"),
    ("include", "{% import 'other' as other %}"),
    ("include", "{% extends 'other' %}"),
]


def _endings(source: str) -> str:
    """The abuses above, closed where they left loops open."""
    return source + "{% endfor %}" * (source.count("{% for") - source.count("{% endfor"))


@pytest.mark.parametrize(("limit", "source"), [*ABUSES.items(), *MORE])
def test_each_abuse_stops_at_its_limit(limit, source):
    with pytest.raises(TemplateLimit) as caught:
        render(_endings(source), {"invoices": [1, 2, 3]})
    assert caught.value.limit == limit


def test_ordinary_templates_render_under_the_limits():
    source = "{% for i in range(3) %}<{{ i }}>{% endfor %} {{ 'a' ~ 'b' }} {{ 2 * 3 }} {{ 'x'|center(5) }}"
    assert render(source, {}) == "<0><1><2> ab 6   x  "
    assert render("{{ x }} <b>", {"x": "<i>"}, html=True) == "&lt;i&gt; <b>"
    macro = "{% macro m(n) %}{% if n %}{{ n }}{{ m(n - 1) }}{% endif %}{% endmacro %}{{ m(5) }}"
    assert render(macro, {}) == "54321"


BASE = {"kind": "overdue", "channel": "email", "language": "es", "name": "Abuso", "subject": "Hola"}


@pytest.mark.parametrize("limit", sorted(ABUSES))
async def test_saving_or_previewing_an_abusive_template_is_a_422_naming_the_limit(api, stack, limit):
    tenant = await messaging_tenant(api, stack)
    response = await api.post("/v1/templates", json={**BASE, "body_text": ABUSES[limit]}, headers=tenant.admin)
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert error["field"] == "body_text"
    assert f"template limit '{limit}'" in error["message"]
    preview = await api.post(
        "/v1/templates/preview",
        json={"kind": "overdue", "channel": "email", "subject": "Hola", "body_html": ABUSES[limit]},
        headers=tenant.admin,
    )
    assert preview.status_code == 422, preview.text
    (error,) = preview.json()["errors"]
    assert error["field"] == "body_html"
    assert f"template limit '{limit}'" in error["message"]


async def test_a_send_whose_template_breaks_a_limit_fails_with_template_error_and_others_go_out(api, stack, mailbox):
    hostile = await messaging_tenant(api, stack)
    other = await messaging_tenant(api, stack)
    async with AsyncSession(stack.engine) as session:  # saved before templates had limits
        session.add(
            Template(
                id=uuid.uuid4(),
                tenant_id=hostile.id,
                kind="overdue",
                channel="email",
                language="es",
                tone=0,
                name="legacy",
                subject="Hola",
                body_text=ABUSES["iterations"],
            )
        )
        await session.commit()
    await send(stack, hostile.id, [communication(to="a@cliente.example")])
    await send(stack, other.id, [communication(to="b@cliente.example")])
    await deliver(stack, settings(smtp_port=mailbox.port))
    (failed,) = await messages(stack, hostile.id)
    assert (failed.state, failed.error_code) == ("failed", "template_error")
    assert "template limit 'iterations'" in failed.error
    (sent,) = await messages(stack, other.id)
    assert sent.state == "sent"


# Loops that would run for minutes once the iteration budget is lifted: only the wall-clock cap stops them.
ENDLESS = "{% for i in range(30000) %}{% for j in range(30000) %}{% endfor %}{% endfor %}"


@pytest.fixture
def lifted():
    """No iteration budget to speak of: the wall-clock cap and the per-tenant cap are what is left."""
    before = budget.limits()
    budget.configure(dataclasses.replace(before, iterations=10**12, seconds=3.0))
    yield
    budget.configure(before)


async def _running(tenant_id: uuid.UUID, count: int) -> None:
    for _ in range(2000):  # bounded by polls, not by time
        if renders.running(tenant_id) == count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{renders.running(tenant_id)} renders running, not {count}")


async def test_a_render_past_the_wall_clock_cap_is_abandoned_while_the_service_answers(api, stack, mailbox, lifted):
    hostile = await messaging_tenant(api, stack)
    other = await messaging_tenant(api, stack)
    started = time.monotonic()
    slow = asyncio.create_task(api.post("/v1/templates", json={**BASE, "body_text": ENDLESS}, headers=hostile.admin))
    await _running(hostile.id, 1)
    messaging = httpx.AsyncClient(transport=httpx.ASGITransport(stack.services["messaging"]), base_url="http://m")
    async with messaging:
        assert (await messaging.get("/healthz")).status_code == 200
    assert not slow.done()
    await send(stack, other.id, [communication(to="b@cliente.example")])
    await deliver(stack, settings(smtp_port=mailbox.port))
    (sent,) = await messages(stack, other.id)
    assert sent.state == "sent"
    response = await slow
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert error["field"] == "body_text"
    assert "template limit 'render_seconds'" in error["message"]
    assert time.monotonic() - started < 60  # generous: the cap is 3 s
    await _running(hostile.id, 0)  # the abandoned render stopped at its next step


async def test_one_tenant_cannot_occupy_every_renderer(api, stack, lifted):
    hostile = await messaging_tenant(api, stack)
    other = await messaging_tenant(api, stack)
    preview = {"kind": "overdue", "channel": "email", "subject": "Hola"}
    slow = [
        asyncio.create_task(
            api.post("/v1/templates/preview", json={**preview, "body_text": ENDLESS}, headers=hostile.admin)
        )
        for _ in range(2)
    ]
    await _running(hostile.id, 2)
    third = await api.post("/v1/templates/preview", json={**preview, "body_text": "hola"}, headers=hostile.admin)
    assert third.status_code == 429, third.text
    assert third.headers["retry-after"]
    assert "renders_per_tenant" in third.json()["detail"]
    fine = await api.post(
        "/v1/templates/preview", json={**preview, "body_text": "Hola {{ customer.name }}"}, headers=other.admin
    )
    assert fine.status_code == 200, fine.text
    for response in await asyncio.gather(*slow):
        assert response.status_code == 422
        assert "template limit 'render_seconds'" in response.json()["errors"][0]["message"]
    await _running(hostile.id, 0)
