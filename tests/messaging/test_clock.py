"""Messaging follows the tenant's clock (issue 15): a sandbox tenant whose test clock stands months away from today
gets the quiet hours, holidays, frequency cap and release of deferred messages of THAT date, and its messages reach
only the sandbox peers, never a real provider."""

import uuid
from datetime import UTC, date, datetime, time, timedelta
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from messaging_service.channels.config import configured, email_config, sms_config, whatsapp_config
from messaging_service.delivery import queue
from messaging_service.settings import MessagingSettings
from shared.contracts.gateway import TenantChanged
from shared.messages import Envelope
from shared.outbox import HANDLE_MESSAGES
from tests.messaging.support import (
    QUEUE,
    communication,
    deliver,
    messages,
    messaging_tenant,
    outbox,
    run_messaging,
    send,
    set_channel,
    settings,
)
from tests.support import TenantCtx

BUENOS_AIRES = ZoneInfo("America/Argentina/Buenos_Aires")


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BUENOS_AIRES).astimezone(UTC)


# Saturday 15 August 2026, 21:00 in Buenos Aires: past the window; Monday the 17th is a public holiday (San Martín).
SATURDAY_EVENING = local(date(2026, 8, 15), 21)
TUESDAY_OPENING = local(date(2026, 8, 18), 8)


async def set_clock(stack, tenant: TenantCtx, at: datetime | None, *, sandbox: bool = True) -> None:
    """What the gateway announces when a sandbox tenant's clock is set or advanced (``gateway.tenant_changed``),
    handed to messaging as the relay would."""
    event = TenantChanged(
        tenant_id=tenant.id,
        slug=tenant.slug,
        name=f"Empresa {tenant.slug}",
        country="AR",
        timezone="America/Argentina/Buenos_Aires",
        default_currency="ARS",
        language="es",
        sandbox=sandbox,
        test_clock=at,
    )
    envelope = Envelope.wrap(event, tenant.id)
    await stack.arq.enqueue_job(HANDLE_MESSAGES, [envelope.model_dump(mode="json")], _queue_name=QUEUE)
    await run_messaging(settings())


async def pending(stack, tenant_id: uuid.UUID) -> int:
    async with AsyncSession(stack.engine) as session:
        return await queue.pending(session, tenant_id)


async def test_quiet_hours_holidays_and_the_release_follow_a_test_clock_months_away(api, stack, mailbox):
    tenant = await messaging_tenant(api, stack, always_open=False)  # the default window: Monday-Saturday 8-20
    await set_clock(stack, tenant, SATURDAY_EVENING)
    worker = settings(smtp_port=mailbox.port)

    await send(stack, tenant.id, [communication(key="clock-1")])
    await deliver(stack, worker)
    (row,) = await messages(stack, tenant.id)
    # By the tenant's clock it is Saturday night and Monday a holiday: it waits for Tuesday 8:00 of THAT week,
    # although by the wall clock that moment is months past.
    assert (row.state, row.deferred_reason, row.scheduled_at) == ("deferred", "quiet_hours", TUESDAY_OPENING)
    assert row.created_at == SATURDAY_EVENING
    assert mailbox.messages() == []
    assert await pending(stack, tenant.id) == 0  # nothing is due by the clock: an advance has nothing to wait for

    await set_clock(stack, tenant, local(date(2026, 8, 17), 11))  # the holiday, inside the hours: still waiting
    assert await pending(stack, tenant.id) == 0
    await deliver(stack, worker)
    assert (await messages(stack, tenant.id))[0].state == "deferred"
    assert mailbox.messages() == []

    released = local(date(2026, 8, 18), 8, 30)
    await set_clock(stack, tenant, released)
    assert await pending(stack, tenant.id) == 1
    await deliver(stack, worker)
    (row,) = await messages(stack, tenant.id)
    assert row.state == "sent"
    assert row.sent_at == released  # sent on the day being played, as the timeline will show it
    (mail,) = mailbox.messages()
    assert parsedate_to_datetime(mail["Date"]) == released  # dated on the day being played
    assert await pending(stack, tenant.id) == 0
    sent = [r for r in await outbox(stack, "messaging.message_status_changed") if r.payload["state"] == "sent"]
    assert [r.occurred_at for r in sent if r.tenant_id == tenant.id] == [released]
    # The daily counts end on the clock's today by default: the Saturday it was accepted is within their 30 days.
    stats = await api.get("/v1/messages/stats", headers=tenant.admin)
    assert stats.status_code == 200, stats.text
    assert [(d["date"], d["counts"]) for d in stats.json()["days"]] == [("2026-08-15", {"sent": 1})]


async def test_the_frequency_cap_counts_in_the_tenants_calendar(api, stack, mailbox):
    tenant = await messaging_tenant(api, stack, always_open=False)
    await set_channel(api, tenant, "email", frequency_cap={"max_messages": 1, "window_days": 7})
    clock = local(date(2026, 8, 18), 10)  # a Tuesday inside the hours
    await set_clock(stack, tenant, clock)
    customer = uuid.uuid4()
    worker = settings(smtp_port=mailbox.port)

    await send(stack, tenant.id, [communication(key="cap-1", customer_id=customer)])
    await deliver(stack, worker)
    await send(stack, tenant.id, [communication(key="cap-2", customer_id=customer)])
    await deliver(stack, worker)
    first, second = sorted(await messages(stack, tenant.id), key=lambda m: m.idempotency_key)
    assert (first.state, first.scheduled_at, first.sent_at) == ("sent", clock, clock)
    assert (second.state, second.deferred_reason) == ("deferred", "frequency_cap")
    assert second.scheduled_at == clock + timedelta(days=7)  # a week after the first, by the clock
    assert len(mailbox.messages()) == 1

    await set_clock(stack, tenant, clock + timedelta(days=7))
    await deliver(stack, worker)
    assert [m.state for m in await messages(stack, tenant.id)] == ["sent", "sent"]
    assert len(mailbox.messages()) == 2


async def test_a_live_tenants_messages_are_not_held_by_another_tenants_clock(api, stack, mailbox):
    """The release reads each message's own tenant's clock: a sandbox clock in the past holds back its tenant's
    message and nobody else's."""
    sandbox = await messaging_tenant(api, stack)
    live = await messaging_tenant(api, stack)
    await set_clock(stack, sandbox, SATURDAY_EVENING)
    await send(stack, sandbox.id, [communication(key="s-1")])
    await send(stack, live.id, [communication(key="l-1")])
    await deliver(stack, settings(smtp_port=mailbox.port))
    ((sandboxed,), (lived,)) = await messages(stack, sandbox.id), await messages(stack, live.id)
    assert (sandboxed.state, sandboxed.sent_at) == ("sent", SATURDAY_EVENING)  # no window: it goes at its clock
    assert lived.state == "sent"
    assert lived.sent_at > datetime.now(UTC) - timedelta(days=1)


async def test_a_sandbox_tenant_reaches_only_the_sandbox_peers(api, stack, mailbox, provider):
    """Provider settings stored before the tenant became a sandbox are ignored: its email goes to the sandbox SMTP
    server and its SMS to the sandbox provider, with the sandbox credentials."""
    tenant = await messaging_tenant(api, stack)
    await set_channel(api, tenant, "email", smtp={"host": "smtp.real-relay.invalid", "port": 2525})
    await set_channel(
        api,
        tenant,
        "sms",
        provider={"base_url": "http://127.0.0.1:9", "account_sid": "ACreal", "auth_token": "real-token"},
    )
    await set_clock(stack, tenant, None)  # a sandbox on the wall clock
    worker = settings(
        smtp_host="smtp.real-relay.invalid",
        sandbox_smtp_host="127.0.0.1",
        sandbox_smtp_port=mailbox.port,
        provider_url="http://127.0.0.1:9",
        sandbox_provider_url=provider.url,
    )
    await send(
        stack, tenant.id, [communication(key="sb-mail"), communication("sms", "+54 9 11 5555-1234", key="sb-sms")]
    )
    await deliver(stack, worker)

    assert {m.idempotency_key: m.state for m in await messages(stack, tenant.id)} == {
        "sb-mail": "sent",
        "sb-sms": "sent",
    }
    assert len(mailbox.messages()) == 1
    (sms,) = provider.requests("sms")
    assert f"/Accounts/{worker.dev_twilio_account_sid}/" in sms["path"]


def test_sandbox_channels_use_the_configured_peers_outside_development():
    production = MessagingSettings(
        environment="production",
        internal_secret="a-production-secret-of-enough-length",
        unsubscribe_secret="u",
        inbound_email_secret="i",
        smtp_host="smtp.real-relay.example",
        provider_url="https://api.twilio.com",
    )
    own = {
        "email": {"smtp": {"host": "smtp.sendgrid.net"}},
        "sms": {"provider": {"account_sid": "ACreal", "base_url": "https://api.twilio.com"}},
        "whatsapp": {"provider": {"phone_number_id": "1065", "base_url": "https://graph.facebook.com"}},
    }
    secrets = {"twilio_auth_token": "t", "whatsapp_access_token": "w", "smtp_password": "p"}
    # No sandbox peer configured: a sandbox tenant's channels are not configured (nothing goes anywhere real).
    assert email_config(production, own, secrets, "Empresa", sandbox=True) is None
    assert sms_config(production, own, secrets, sandbox=True) is None
    assert whatsapp_config(production, own, secrets, sandbox=True) is None
    assert not any(configured(production, ch, own, secrets, sandbox=True) for ch in ("email", "sms", "whatsapp"))
    assert all(configured(production, ch, own, secrets) for ch in ("email", "sms", "whatsapp"))

    peers = production.model_copy(
        update={
            "sandbox_smtp_host": "mailpit.internal",
            "sandbox_smtp_port": 1025,
            "sandbox_provider_url": "http://sandbox-provider.internal/",
        }
    )
    mail = email_config(peers, own, secrets, "Empresa", sandbox=True)
    assert mail is not None
    assert (mail.smtp.host, mail.smtp.port, mail.smtp.password) == ("mailpit.internal", 1025, None)
    sms = sms_config(peers, own, secrets, sandbox=True)
    assert sms is not None
    assert (sms.base_url, sms.account_sid, sms.auth_token) == (
        "http://sandbox-provider.internal",
        peers.dev_twilio_account_sid,
        peers.dev_twilio_auth_token,
    )
    whatsapp = whatsapp_config(peers, own, secrets, sandbox=True)
    assert whatsapp is not None
    assert (whatsapp.base_url, whatsapp.phone_number_id) == (
        "http://sandbox-provider.internal",
        peers.dev_whatsapp_phone_number_id,
    )


async def test_a_sandbox_tenant_cannot_be_switched_to_real_providers(api, stack):
    tenant = await messaging_tenant(api, stack)
    await set_clock(stack, tenant, SATURDAY_EVENING)
    body = {
        "email": {"smtp": {"host": "smtp.sendgrid.net"}},
        "sms": {"provider": {"account_sid": "AC0123456789abcdef0123456789abcdef", "auth_token": "secret"}},
    }
    response = await api.patch("/v1/messaging-settings", json=body, headers=tenant.admin)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert {e["field"] for e in response.json()["errors"]} == {"email.smtp", "sms.provider"}
    whatsapp = {"whatsapp": {"provider": {"phone_number_id": "106540352242922", "access_token": "x"}}}
    response = await api.patch("/v1/messaging-settings", json=whatsapp, headers=tenant.admin)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["whatsapp.provider"]

    # Windows, caps and clearing a provider stay allowed; the settings say it is a sandbox.
    fine = {"email": {"smtp": None, "quiet_hours": {"start": "09:00", "end": "18:00"}}}
    response = await api.patch("/v1/messaging-settings", json=fine, headers=tenant.admin)
    assert response.status_code == 200, response.text
    assert response.json()["sandbox"] is True
    assert response.json()["email"]["smtp"] is None

    live = await messaging_tenant(api, stack)
    response = await api.patch("/v1/messaging-settings", json=body, headers=live.admin)
    assert response.status_code == 200, response.text
    assert response.json()["sandbox"] is False


async def test_a_resend_is_scheduled_by_the_clock_and_keeps_off_its_holidays(api, stack, mailbox):
    tenant = await messaging_tenant(api, stack, always_open=False)
    await set_clock(stack, tenant, local(date(2026, 8, 14), 10))  # Friday, inside the hours
    await set_channel(api, tenant, "email", frequency_cap=None)
    await send(stack, tenant.id, [communication(to="bounce@cliente.example", key="resend-1")])
    await deliver(stack, settings(smtp_port=mailbox.port))
    (row,) = await messages(stack, tenant.id)
    assert (row.state, row.failed_at) == ("bounced", local(date(2026, 8, 14), 10))

    await set_clock(stack, tenant, SATURDAY_EVENING)
    response = await api.post(
        f"/v1/messages/{row.id}/resend", json={"to": "pagos@cliente.example"}, headers=tenant.admin
    )
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "deferred"
    (row,) = await messages(stack, tenant.id)
    assert row.scheduled_at == TUESDAY_OPENING  # past Sunday and Monday's holiday, in the clock's week
