"""The messaging API through the gateway: settings, templates, messages, opt-outs, tenant isolation."""

import re
import uuid
from datetime import date

from shared.portal_links import token_hash
from tests.messaging.support import communication, deliver, messages, messaging_tenant, outbox, send, settings
from tests.support import create_user, two_pages

SECRETS = ("smtp-password-1", "twilio-token-2", "wa-access-3", "wa-app-secret-4", "wa-verify-5")


async def test_settings_defaults_and_write_only_secrets(api, stack):
    tenant = await messaging_tenant(api, stack, always_open=False)
    response = await api.get("/v1/messaging-settings", headers=tenant.admin)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["sms"]["quiet_hours"] == {"start": "08:00", "end": "20:00", "days": [1, 2, 3, 4, 5, 6]}
    assert body["email"]["frequency_cap"] == {"max_messages": 5, "window_days": 7}
    assert body["webhooks"]["twilio_status"].endswith(f"/webhooks/messaging/twilio/{tenant.id}/status")

    patch = {
        "profile": {"payment_instructions": ["Banco Mercantil: 0105-0091"], "collections": {"name": "Andrea"}},
        "email": {
            "from_address": "Cobros@Empresa.example",
            "smtp": {"host": "smtp.empresa.example", "username": "u", "password": SECRETS[0]},
        },
        "sms": {
            "frequency_cap": {"max_messages": 2, "window_days": 7},
            "provider": {"account_sid": "AC1", "auth_token": SECRETS[1], "from_number": "+1 202 555 0143"},
        },
        "whatsapp": {
            "quiet_hours": None,
            "provider": {
                "phone_number_id": "123",
                "access_token": SECRETS[2],
                "app_secret": SECRETS[3],
                "verify_token": SECRETS[4],
            },
        },
    }
    response = await api.patch("/v1/messaging-settings", json=patch, headers=tenant.admin)
    assert response.status_code == 200, response.text
    for text in (response.text, (await api.get("/v1/messaging-settings", headers=tenant.admin)).text):
        assert not any(secret in text for secret in SECRETS)
    body = response.json()
    assert body["email"]["smtp"] == {
        "host": "smtp.empresa.example",
        "port": 587,
        "username": "u",
        "security": "starttls",
        "password_set": True,
    }
    assert body["email"]["from_address"] == "Cobros@empresa.example"
    assert body["sms"]["provider"]["from_number"] == "+12025550143"
    assert body["sms"]["provider"]["auth_token_set"]
    assert body["whatsapp"]["quiet_hours"] is None
    assert body["whatsapp"]["provider"]["verify_token_set"]
    # typed (issue 14): what is not set is null
    assert {k: v for k, v in body["profile"]["collections"].items() if v is not None} == {"name": "Andrea"}
    assert (
        body["profile"]["payment_instructions"] == ["Banco Mercantil: 0105-0091"] and body["profile"]["company"] is None
    )

    cleared = await api.patch(
        "/v1/messaging-settings",
        json={"sms": {"provider": {"account_sid": "AC1", "auth_token": None}}},
        headers=tenant.admin,
    )
    assert cleared.json()["sms"]["provider"]["auth_token_set"] is False
    assert cleared.json()["sms"]["frequency_cap"] == {"max_messages": 2, "window_days": 7}


async def test_settings_validation_and_roles(api, stack):
    tenant = await messaging_tenant(api, stack)
    response = await api.patch(
        "/v1/messaging-settings",
        json={"sms": {"quiet_hours": {"start": "25:00", "end": "20:00"}}},
        headers=tenant.admin,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "sms.quiet_hours.start"
    _, collector = await create_user(api, tenant, "collector")
    assert (await api.get("/v1/messaging-settings", headers=collector)).status_code == 200
    response = await api.patch("/v1/messaging-settings", json={"sms": {"enabled": False}}, headers=collector)
    assert response.status_code == 403


async def test_saving_a_template_checks_its_tags_and_syntax(api, stack):
    tenant = await messaging_tenant(api, stack)
    base = {
        "kind": "overdue",
        "channel": "email",
        "language": "es",
        "name": "Mío",
        "subject": "Hola {{ company.name }}",
    }
    response = await api.post(
        "/v1/templates", json={**base, "body_text": "Hola {{ cliente.nombre }}"}, headers=tenant.admin
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "body_text", "message": "unknown tag 'cliente'"}]
    response = await api.post(
        "/v1/templates",
        json={**base, "body_text": "ok", "body_html": "<p>{% for i in invoices %}{{ i.number }}</p>"},
        headers=tenant.admin,
    )
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["field"] == "body_html"
    assert error["message"].startswith("syntax error at line 1")
    response = await api.post(
        "/v1/templates", json={**base, "subject": "{{ customer.nmae }}", "body_text": "ok"}, headers=tenant.admin
    )
    assert response.json()["errors"] == [{"field": "subject", "message": "unknown tag 'customer.nmae'"}]
    response = await api.post(
        "/v1/templates",
        json={"kind": "overdue", "channel": "whatsapp", "language": "es", "name": "wa", "body_text": "x"},
        headers=tenant.admin,
    )
    assert response.json()["errors"][0]["field"] == "whatsapp_template"


async def test_a_tenant_template_overrides_the_default(api, stack, mailbox):
    tenant = await messaging_tenant(api, stack)
    body = {
        "kind": "overdue",
        "channel": "email",
        "language": "es",
        "name": "Debitia",
        "subject": "Aviso {{ company.name }}: {{ ActualDebit }} ({{ DueDays }} días)",
        "body_text": "Estimado {{Name}}, deuda de {{ActualDebit}}. Su asesor: {{ advisor.whatsapp_link }}",
    }
    response = await api.post("/v1/templates", json=body, headers=tenant.admin)
    assert response.status_code == 201, response.text
    template = response.json()
    assert template["tone"] is None
    assert template["revision"] == 1
    assert (await api.post("/v1/templates", json=body, headers=tenant.admin)).status_code == 409

    await send(stack, tenant.id, [communication(tone=3)])
    await deliver(stack, settings(smtp_port=mailbox.port))
    (row,) = await messages(stack, tenant.id)
    assert row.template_ref == f"tenant:{template['id']}:1"
    assert row.subject == f"Aviso Empresa {tenant.slug}: US$ 123.427,72 (84 días)"
    assert mailbox.messages()[0]["Subject"] == row.subject

    response = await api.patch(f"/v1/templates/{template['id']}", json={"subject": "{{ nope }}"}, headers=tenant.admin)
    assert response.status_code == 422
    response = await api.patch(f"/v1/templates/{template['id']}", json={"name": "Nuevo"}, headers=tenant.admin)
    assert response.json()["revision"] == 2
    # found by schemathesis: an explicit null for the WhatsApp parameters was a 500
    response = await api.patch(
        f"/v1/templates/{template['id']}", json={"whatsapp_parameters": None}, headers=tenant.admin
    )
    assert response.status_code == 200, response.text
    assert response.json()["whatsapp_parameters"] == []
    listed = await api.get("/v1/templates", params={"kind": "overdue"}, headers=tenant.admin)
    assert [t["id"] for t in listed.json()["items"]] == [template["id"]]
    assert (await api.delete(f"/v1/templates/{template['id']}", headers=tenant.admin)).status_code == 204
    assert (await api.get(f"/v1/templates/{template['id']}", headers=tenant.admin)).status_code == 404


async def test_defaults_tags_and_preview(api, stack):
    tenant = await messaging_tenant(api, stack)
    first = (await api.get("/v1/templates/defaults", params={"language": "pt"}, headers=tenant.admin)).json()
    rest = await api.get(
        "/v1/templates/defaults", params={"language": "pt", "cursor": first["next_cursor"]}, headers=tenant.admin
    )
    assert rest.json()["next_cursor"] is None
    refs = [t["ref"] for t in first["items"] + rest.json()["items"]]
    assert len(first["items"]) == 50 and len(refs) == len(set(refs)) == 8 * 3 * 3 and refs == sorted(refs)
    tags = {t["name"]: t for t in await two_pages(api, "/v1/templates/tags", tenant.admin, limit=10)}
    assert "whatsapp_link" in tags["advisor"]["attributes"]
    assert "DueDays" in tags

    preview = await api.post(
        "/v1/templates/preview",
        json={"kind": "overdue", "channel": "email", "language": "en", "tone": 2},
        headers=tenant.admin,
    )
    assert preview.status_code == 200, preview.text
    assert preview.json()["subject"] == f"Payment pending Empresa {tenant.slug} (84 days overdue, $123,427.72)"
    assert preview.json()["template_ref"] == "default:overdue/email/en/2"

    real = communication(language="es", tone=1).model_dump(mode="json")
    preview = await api.post(
        "/v1/templates/preview",
        json={"communication": real, "subject": "{{ customer.name }} debe {{ total }}", "body_text": "x"},
        headers=tenant.admin,
    )
    assert preview.json()["subject"] == "Distribuidora del Sur S.A. debe US$ 123.427,72"
    bad = await api.post("/v1/templates/preview", json={"body_text": "{{ foo }}"}, headers=tenant.admin)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "body_text"


async def test_messages_list_detail_resend_and_stats(api, stack, mailbox):
    tenant = await messaging_tenant(api, stack)
    customer = uuid.uuid4()
    await send(
        stack,
        tenant.id,
        [
            communication(customer_id=customer, to="bounce@cliente.example"),
            communication(customer_id=customer, to="ok@cliente.example", kind="pre_due", days=-3),
            communication("sms", "+5491155551234", customer_id=uuid.uuid4()),
        ],
    )
    await deliver(stack, settings(smtp_port=mailbox.port, provider_url="http://127.0.0.1:9", retry_max_attempts=1))

    listed = (await api.get("/v1/messages", params={"customer_id": str(customer)}, headers=tenant.admin)).json()
    assert {m["state"] for m in listed["items"]} == {"bounced", "sent"}
    failed = await api.get("/v1/messages", params={"state": ["failed", "bounced"]}, headers=tenant.admin)
    assert sorted(m["channel"] for m in failed.json()["items"]) == ["email", "sms"]
    page = (await api.get("/v1/messages", params={"limit": 2}, headers=tenant.admin)).json()
    rest = (
        await api.get("/v1/messages", params={"limit": 2, "cursor": page["next_cursor"]}, headers=tenant.admin)
    ).json()
    assert len(page["items"]) == 2
    assert len(rest["items"]) == 1
    assert rest["next_cursor"] is None
    today = date.today().isoformat()
    assert (
        await api.get("/v1/messages", params={"since": today + "T00:00:00Z", "channel": "sms"}, headers=tenant.admin)
    ).json()["items"][0]["channel"] == "sms"

    bounced = next(m for m in listed["items"] if m["state"] == "bounced")
    detail = (await api.get(f"/v1/messages/{bounced['id']}", headers=tenant.admin)).json()
    assert detail["attempt_log"][0]["outcome"] == "permanent_error"
    assert detail["error_code"] == "smtp_550"
    assert "A-3212" in detail["body_text"]
    assert detail["body_html"].startswith("<!DOCTYPE html>")
    first_link = re.search(r"/portal/([\w-]{22})", detail["body_text"]).group(1)

    sent = next(m for m in listed["items"] if m["state"] == "sent")
    assert (await api.post(f"/v1/messages/{sent['id']}/resend", headers=tenant.admin)).status_code == 409
    same = await api.post(f"/v1/messages/{bounced['id']}/resend", headers=tenant.admin)
    assert same.status_code == 409  # the address is known invalid now
    resent = await api.post(
        f"/v1/messages/{bounced['id']}/resend", json={"to": "pagos@cliente.example"}, headers=tenant.admin
    )
    assert resent.status_code == 200, resent.text
    assert resent.json()["state"] == "queued"
    assert resent.json()["resend_count"] == 1
    await deliver(stack, settings(smtp_port=mailbox.port))
    detail = (await api.get(f"/v1/messages/{bounced['id']}", headers=tenant.admin)).json()
    assert detail["state"] == "sent"
    assert detail["to"] == "pagos@cliente.example"
    assert [a["outcome"] for a in detail["attempt_log"]] == ["permanent_error", "sent"]
    assert any(m["To"].endswith("<pagos@cliente.example>") for m in mailbox.messages())
    # Rendered again for the new address, it carries a new link to the customer's page, told to the portal.
    new_link = re.search(r"/portal/([\w-]{22})", detail["body_text"]).group(1)
    assert new_link != first_link
    last = (await outbox(stack, "messaging.portal_links_issued"))[-1].payload["links"]
    assert [(x["message_id"], x["token_hash"]) for x in last] == [(bounced["id"], token_hash(new_link).hex())]

    stats = (await api.get("/v1/messages/stats", headers=tenant.admin)).json()
    assert stats["timezone"] == "America/Argentina/Buenos_Aires"
    by_channel = {d["channel"]: d for d in stats["days"]}
    assert by_channel["email"]["counts"] == {"sent": 2}
    assert by_channel["sms"]["counts"] == {"failed": 1}


async def test_tenants_never_see_each_others_messages(api, stack, mailbox):
    first = await messaging_tenant(api, stack)
    second = await messaging_tenant(api, stack)
    await send(stack, first.id, [communication(to="bounce@x.example")])
    await deliver(stack, settings(smtp_port=mailbox.port))
    (row,) = await messages(stack, first.id)
    assert (await api.get(f"/v1/messages/{row.id}", headers=second.admin)).status_code == 404
    assert (await api.post(f"/v1/messages/{row.id}/resend", headers=second.admin)).status_code == 404
    assert (await api.get("/v1/messages", headers=second.admin)).json()["items"] == []
    assert (await api.get("/v1/messaging-settings/invalid-contacts", headers=second.admin)).json()["items"] == []
    preview = await api.post("/v1/templates/preview", json={"message_id": str(row.id)}, headers=second.admin)
    assert preview.status_code == 404


async def test_opt_outs_recorded_by_people_are_honoured_and_can_be_withdrawn(api, stack, mailbox):
    tenant = await messaging_tenant(api, stack)
    customer = uuid.uuid4()
    response = await api.post(
        "/v1/opt-out",
        json={"channel": "email", "address": "Pagos@Cliente.example", "customer_id": str(customer)},
        headers=tenant.admin,
    )
    assert response.status_code == 201, response.text
    opt_out = response.json()
    assert opt_out["address"] == "pagos@cliente.example"
    assert opt_out["source"] == "api"
    (event,) = await outbox(stack, "messaging.opt_out_recorded")
    assert event.payload["customer_id"] == str(customer)

    await send(stack, tenant.id, [communication(to="pagos@cliente.example", customer_id=customer)])
    await deliver(stack, settings(smtp_port=mailbox.port))
    assert [(r.state, r.error_code) for r in await messages(stack, tenant.id)] == [("failed", "opted_out")]

    listed = (await api.get("/v1/opt-out", params={"channel": "email"}, headers=tenant.admin)).json()["items"]
    assert [o["id"] for o in listed] == [opt_out["id"]]
    assert (await api.delete(f"/v1/opt-out/{opt_out['id']}", headers=tenant.admin)).status_code == 204
    await send(stack, tenant.id, [communication(to="pagos@cliente.example", customer_id=customer)])
    await deliver(stack, settings(smtp_port=mailbox.port))
    assert (await messages(stack, tenant.id))[-1].state == "sent"


async def test_invalid_contacts_can_be_listed_and_restored(api, stack, mailbox):
    tenant = await messaging_tenant(api, stack)
    await send(stack, tenant.id, [communication(to="bounce@cliente.example")])
    await deliver(stack, settings(smtp_port=mailbox.port))
    (entry,) = (await api.get("/v1/messaging-settings/invalid-contacts", headers=tenant.admin)).json()["items"]
    assert entry["address"] == "bounce@cliente.example"
    assert entry["reason"].startswith("smtp_550")
    path = f"/v1/messaging-settings/invalid-contacts/{entry['id']}"
    assert (await api.delete(path, headers=tenant.admin)).status_code == 204
    assert (await api.delete(path, headers=tenant.admin)).status_code == 404
