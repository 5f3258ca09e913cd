"""A template may include, import or extend the tenant's own partials, and nothing else (issue 11): another
tenant's partial, a missing one, a name that is not in quotes or a chain of includes that comes back is a 422
naming the limit; a partial change that would break a template using it is refused; a partial in use stays."""

import pytest

from messaging_service.partials import rules
from messaging_service.templates.budget import TemplateLimit
from messaging_service.templates.engine import render
from tests.messaging.support import communication, deliver, messages, messaging_tenant, send, settings

EMAIL = {"kind": "overdue", "channel": "email", "language": "es", "name": "Con pie", "subject": "Hola"}


def test_the_include_graph_rules():
    includes = rules.graph({"a": "{% include 'b' %}", "b": "{% import 'c' as c %}", "c": "x", "d": "{% include 'a' %}"})
    assert includes == {"a": {"b"}, "b": {"c"}, "c": set(), "d": {"a"}}
    assert rules.cycle(includes, "a") is None
    assert rules.nesting(includes, "d") == 4
    assert rules.users_of(includes, "c") == {"a", "b", "d"}
    looped = rules.graph({"a": "{% include 'b' %}", "b": "{% include 'a' %}"})
    assert rules.cycle(looped, "b") == ["b", "a", "b"]
    assert rules.uses_any(["hola", None, "{% from 'c' import m %}"], {"c"})


def test_a_render_loads_only_the_partials_it_is_given():
    source = "[{% include 'footer' %}]"
    assert render(source, {}, partials={"footer": "A"}) == "[A]"
    assert render(source, {}, partials={"footer": "B"}) == "[B]"  # same name, another tenant: never a stale one
    with pytest.raises(TemplateLimit) as caught:
        render(source, {}, partials={"other": "A"})
    assert caught.value.limit == "include"
    looped = {"a": "{% include 'b' %}", "b": "{% include 'a' %}"}  # saved in a race: the render still ends
    with pytest.raises(TemplateLimit):
        render("{% include 'a' %}", {}, partials=looped)


async def _partial(api, tenant, name, body, status=201):
    response = await api.post("/v1/templates/partials", json={"name": name, "body": body}, headers=tenant.admin)
    assert response.status_code == status, response.text
    return response.json()


async def test_templates_include_and_import_the_tenants_partials(api, stack, mailbox):
    tenant = await messaging_tenant(api, stack)
    await _partial(api, tenant, "macros", "{% macro firma() %}Equipo de {{ company.name }}{% endmacro %}")
    footer = "{% import 'macros' as m with context %}-- {{ m.firma() }} ({{ customer.name }})"
    await _partial(api, tenant, "pie", footer)
    body = "Saldo: {{ total }}\n{% include 'pie' %}"
    created = await api.post("/v1/templates", json={**EMAIL, "body_text": body}, headers=tenant.admin)
    assert created.status_code == 201, created.text
    preview = await api.post("/v1/templates/preview", json={"template_id": created.json()["id"]}, headers=tenant.admin)
    assert preview.status_code == 200, preview.text
    assert "-- Equipo de " in preview.json()["body_text"]

    await send(stack, tenant.id, [communication(to="cliente@cliente.example")])
    await deliver(stack, settings(smtp_port=mailbox.port))
    (sent,) = await messages(stack, tenant.id)
    assert sent.state == "sent"
    (mail,) = mailbox.messages()
    assert "-- Equipo de " in mail.get_body(("plain",)).get_content()


@pytest.mark.parametrize(
    ("body", "limit"),
    [
        ("{% include 'missing' %}", "include"),
        ("{% include 'secreto' %}", "include"),  # the other tenant's
        ("{% set name = 'pie' %}{% include name %}", "include"),
        ("{% extends 'secreto' %}", "include"),
    ],
)
async def test_a_foreign_missing_or_unnamed_partial_is_a_422(api, stack, body, limit):
    tenant = await messaging_tenant(api, stack)
    other = await messaging_tenant(api, stack)
    await _partial(api, other, "secreto", "{{ company.name }}")
    await _partial(api, tenant, "pie", "pie")
    for path, payload, field in (
        ("/v1/templates", {**EMAIL, "body_text": body}, "body_text"),
        ("/v1/templates/preview", {"kind": "overdue", "channel": "email", "body_text": body}, "body_text"),
        ("/v1/templates/partials", {"name": "otro", "body": body}, "body"),
    ):
        response = await api.post(path, json=payload, headers=tenant.admin)
        assert response.status_code == 422, (path, response.text)
        errors = response.json()["errors"]
        assert [e["field"] for e in errors] == [field], errors
        assert f"template limit '{limit}'" in errors[0]["message"]


async def test_partials_cannot_include_themselves_or_nest_too_deep(api, stack):
    tenant = await messaging_tenant(api, stack)
    await _partial(api, tenant, "a", "a")
    b = await _partial(api, tenant, "b", "{% include 'a' %}")
    looped = await _partial(api, tenant, "yo", "{% include 'yo' %}", status=422)
    assert "template limit 'recursion_depth'" in looped["errors"][0]["message"]
    response = await api.patch("/v1/templates/partials/" + b["id"], json={"body": "x"}, headers=tenant.admin)
    assert response.status_code == 200
    a = (await api.get("/v1/templates/partials", headers=tenant.admin)).json()["items"][0]
    await api.patch("/v1/templates/partials/" + b["id"], json={"body": "{% include 'a' %}"}, headers=tenant.admin)
    response = await api.patch(
        "/v1/templates/partials/" + a["id"], json={"body": "{% include 'b' %}"}, headers=tenant.admin
    )
    assert response.status_code == 422
    assert "a -> b -> a" in response.json()["errors"][0]["message"]
    previous = "b"
    for depth in range(3, 11):  # a chain of 11 partials: one over the nesting limit of 10
        await _partial(api, tenant, f"p{depth}", f"{{% include '{previous}' %}}")
        previous = f"p{depth}"
    deep = await _partial(api, tenant, "p11", "{% include 'p10' %}", status=422)
    assert "nest 11 deep" in deep["errors"][0]["message"]


async def test_a_partial_change_that_would_break_a_template_is_refused_and_one_in_use_stays(api, stack):
    tenant = await messaging_tenant(api, stack)
    pie = await _partial(api, tenant, "pie", "Gracias")
    created = await api.post("/v1/templates", json={**EMAIL, "body_text": "{% include 'pie' %}"}, headers=tenant.admin)
    assert created.status_code == 201, created.text
    nested = "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}"
    response = await api.patch("/v1/templates/partials/" + pie["id"], json={"body": nested}, headers=tenant.admin)
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert "breaks template 'Con pie'" in error["message"]
    assert "template limit 'iterations'" in error["message"]
    kept = await api.get("/v1/templates/partials/" + pie["id"], headers=tenant.admin)
    assert (kept.json()["body"], kept.json()["revision"]) == ("Gracias", 1)

    in_use = await api.delete("/v1/templates/partials/" + pie["id"], headers=tenant.admin)
    assert in_use.status_code == 409
    assert "template 'Con pie'" in in_use.json()["detail"]
    await api.delete("/v1/templates/" + created.json()["id"], headers=tenant.admin)
    assert (await api.delete("/v1/templates/partials/" + pie["id"], headers=tenant.admin)).status_code == 204


async def test_another_tenant_cannot_see_or_change_a_partial(api, stack):
    tenant = await messaging_tenant(api, stack)
    other = await messaging_tenant(api, stack)
    pie = await _partial(api, tenant, "pie", "Gracias")
    url = "/v1/templates/partials/" + pie["id"]
    assert (await api.get(url, headers=other.admin)).status_code == 404
    assert (await api.patch(url, json={"body": "x"}, headers=other.admin)).status_code == 404
    assert (await api.delete(url, headers=other.admin)).status_code == 404
    assert (await api.get("/v1/templates/partials", headers=other.admin)).json()["items"] == []
    assert (await _partial(api, other, "pie", "Otro"))["body"] == "Otro"  # names are per tenant
    dup = await api.post("/v1/templates/partials", json={"name": "pie", "body": "x"}, headers=tenant.admin)
    assert dup.status_code == 409
