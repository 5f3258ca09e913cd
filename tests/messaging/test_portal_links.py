"""Messages carry a link to the customer's own page (issue 17): ``{{ portal_link }}``, one token per message, only
its hash told to the portal (``PortalLinksIssued``), none while the tenant's portal is off."""

import re
import uuid

from sqlalchemy import text

from messaging_service.templates.samples import SAMPLE_PORTAL_LINK
from services.portal.worker import WorkerSettings as PortalWorker
from shared.outbox import relay_once
from shared.portal_links import TOKEN_LENGTH, token_hash
from tests.messaging.support import (
    communication,
    messages,
    messaging_tenant,
    outbox,
    relay_messaging,
    run_messaging,
    send,
    settings,
)
from tests.support import run_worker

LINK = re.compile(r"/portal/([A-Za-z0-9_-]+)")
CUSTOMER = {"external_id": "C-1", "name": "Ferretería Los Andes S.R.L.", "language": "es", "country": "AR"}


async def receivables_customer(api, tenant) -> uuid.UUID:
    """A customer the portal can show (its page reads receivables' statement)."""
    created = await api.post("/v1/customers", json=CUSTOMER, headers=tenant.admin)
    assert created.status_code == 201, created.text
    return uuid.UUID(created.json()["id"])


async def links_issued(stack) -> list[dict]:
    return [link for row in await outbox(stack, "messaging.portal_links_issued") for link in row.payload["links"]]


async def test_a_reminder_carries_a_link_that_opens_the_customers_page(api, stack):
    tenant = await messaging_tenant(api, stack)
    customer_id = await receivables_customer(api, tenant)
    reminders = [
        communication(customer_id=customer_id),
        communication("sms", "+5491155551234", customer_id=customer_id),
    ]
    await send(stack, tenant.id, reminders)
    await run_messaging(settings())

    email, sms = sorted(await messages(stack, tenant.id), key=lambda m: m.channel)
    tokens = {}
    for row in (email, sms):
        found = {m for part in (row.body_text, row.body_html or "") for m in LINK.findall(part)}
        assert len(found) == 1, found  # the text and the HTML of one message print the same link
        tokens[row.id] = found.pop()
        assert len(tokens[row.id]) == TOKEN_LENGTH
    assert tokens[email.id] != tokens[sms.id]  # each message its own
    assert "Consultas" not in sms.body_text  # with the page linked, the SMS adds no contact

    (event,) = await outbox(stack, "messaging.portal_links_issued")  # one per accepted batch
    links = {link["message_id"]: link for link in event.payload["links"]}
    assert set(links) == {str(email.id), str(sms.id)}
    for row in (email, sms):
        link = links[str(row.id)]
        assert link["token_hash"] == token_hash(tokens[row.id]).hex()
        assert (link["customer_id"], link["channel"], link["language"]) == (str(customer_id), row.channel, "es")
        assert tokens[row.id] not in str(event.payload)  # only the hash leaves messaging

    await relay_messaging(stack)
    await run_worker(PortalWorker)
    page = await api.get(f"/portal/{tokens[email.id]}")
    assert page.status_code == 200, page.text
    assert "Ferretería Los Andes" in page.text


async def test_a_tenant_with_the_portal_off_gets_no_link_and_no_event(api, stack):
    tenant = await messaging_tenant(api, stack)
    turned = await api.patch("/v1/portal-settings", json={"enabled": False}, headers=tenant.admin)
    assert turned.status_code == 200, turned.text
    while await relay_once(stack.engine, stack.arq, "portal"):
        pass
    await run_messaging(settings())
    async with stack.engine.connect() as conn:
        enabled = (
            await conn.execute(
                text("SELECT portal_enabled FROM messaging.tenant_settings WHERE tenant_id = :t"), {"t": tenant.id}
            )
        ).scalar_one()
    assert enabled is False
    other = await api.patch("/v1/portal-settings", json={"pay_online": False}, headers=tenant.admin)
    assert other.status_code == 200
    async with stack.engine.connect() as conn:
        announced = (
            await conn.execute(
                text("SELECT count(*) FROM portal.outbox WHERE message_type = 'portal.settings_changed'")
            )
        ).scalar_one()
    assert announced == 1  # what messaging does not read is not announced

    await send(stack, tenant.id, [communication(), communication("whatsapp", "+5491155551234")])
    await run_messaging(settings())
    rows = await messages(stack, tenant.id)
    assert len(rows) == 2 and all(r.template_ref and r.error_code != "template_error" for r in rows)
    assert not any("/portal/" in (r.body_text or "") + (r.body_html or "") + str(r.whatsapp) for r in rows)
    assert await links_issued(stack) == []

    back_on = await api.patch("/v1/portal-settings", json={"enabled": True}, headers=tenant.admin)
    assert back_on.status_code == 200
    while await relay_once(stack.engine, stack.arq, "portal"):
        pass
    await run_messaging(settings())  # the setting applied first: in one pass the two jobs may run side by side
    await send(stack, tenant.id, [communication()])
    await run_messaging(settings())
    assert len(await links_issued(stack)) == 1


async def test_a_tenants_own_template_without_the_tag_issues_no_link(api, stack):
    tenant = await messaging_tenant(api, stack)
    template = {
        "kind": "overdue",
        "channel": "email",
        "language": "es",
        "tone": None,
        "name": "sin enlace",
        "subject": "Saldo de {{ customer.name }}",
        "body_text": "Debe {{ total }}.",
    }
    created = await api.post("/v1/templates", json=template, headers=tenant.admin)
    assert created.status_code == 201, created.text
    await send(stack, tenant.id, [communication()])
    await run_messaging(settings())
    (row,) = await messages(stack, tenant.id)
    assert row.template_ref.startswith("tenant:") and "/portal/" not in row.body_text
    assert await links_issued(stack) == []


async def test_alarm_digests_carry_no_link(api, stack):
    tenant = await messaging_tenant(api, stack)
    await send(stack, tenant.id, [communication(kind="alarm_digest")])
    await run_messaging(settings())
    (row,) = await messages(stack, tenant.id)
    assert "/portal/" not in row.body_text and await links_issued(stack) == []


async def test_portal_link_is_a_documented_tag_and_in_the_preview(api, stack):
    tenant = await messaging_tenant(api, stack)
    tags = (await api.get("/v1/templates/tags", params={"limit": 100}, headers=tenant.admin)).json()["items"]
    assert "portal_link" in {t["name"] for t in tags}
    preview = await api.post(
        "/v1/templates/preview", json={"kind": "pre_due", "channel": "sms", "language": "en"}, headers=tenant.admin
    )
    assert preview.status_code == 200, preview.text
    assert SAMPLE_PORTAL_LINK in preview.json()["body_text"]


async def test_the_company_logo_must_be_an_https_url(api, stack):
    tenant = await messaging_tenant(api, stack)
    bad = await api.patch(
        "/v1/messaging-settings",
        json={"profile": {"company": {"logo_url": "http://empresa.example/logo.png"}}},
        headers=tenant.admin,
    )
    assert bad.status_code == 422
    assert any("logo_url" in e["field"] for e in bad.json()["errors"])
    good = await api.patch(
        "/v1/messaging-settings",
        json={"profile": {"company": {"logo_url": "https://empresa.example/logo.png"}}},
        headers=tenant.admin,
    )
    assert good.status_code == 200, good.text
    assert good.json()["profile"]["company"]["logo_url"] == "https://empresa.example/logo.png"
