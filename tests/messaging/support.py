"""Helpers for messaging tests: tenants known to messaging, commands as the relay delivers them, the worker."""

import email
import email.policy
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from email.message import Message
from typing import Any

import httpx
from sqlalchemy import text

from messaging_service.delivery.jobs import DELIVER
from messaging_service.settings import MessagingSettings
from messaging_service.stubs.provider import ProviderStub
from messaging_service.stubs.smtp_server import MaildirHandler
from messaging_service.worker import build_worker_settings
from shared.contracts.messaging import Communication, SendCommunications
from shared.internal import InternalClient
from shared.messages import Envelope
from shared.outbox import HANDLE_MESSAGES, queue_name, relay_once
from tests.support import RoutingTransport, Stack, TenantCtx, create_tenant, run_worker, with_client

QUEUE = queue_name("messaging")


@dataclass
class Mailbox:
    port: int
    handler: MaildirHandler

    def messages(self) -> list[Message]:
        maildir = self.handler.maildir
        return [email.message_from_bytes(maildir.get_bytes(key), policy=email.policy.default) for key in maildir.keys()]  # noqa: SIM118 - a Maildir


@dataclass
class Provider:
    url: str
    stub: ProviderStub

    def requests(self, channel: str | None = None) -> list[dict[str, Any]]:
        return [r for r in self.stub.requests if channel in (None, r["channel"])]


def settings(**overrides: Any) -> MessagingSettings:
    """Worker settings for a test: retries at once, small batches, no background loops."""
    values: dict[str, Any] = {
        "retry_base_seconds": 0,
        "retry_max_seconds": 0,
        "relay_enabled": False,
        "provider_timeout_seconds": 2.0,
        "delivery_linger_seconds": 0,
    }
    values.update(overrides)
    return MessagingSettings(**values)


async def run_messaging(worker_settings: MessagingSettings) -> None:
    await run_worker(build_worker_settings(worker_settings))


def routed_dunning(stack: Stack) -> InternalClient:
    """Messaging's client of dunning's internal API (a run's communications by reference), routed to the in-process
    dunning app."""
    http = httpx.AsyncClient(transport=RoutingTransport(stack.services))
    return InternalClient(http, MessagingSettings(dunning_url="http://dunning.test"))


def dunning_routed(stack: Stack, worker_settings: type) -> dict[str, Any]:
    """``run_worker`` options that give messaging's worker its client of dunning routed in-process."""
    return with_client(worker_settings, "dunning", lambda: routed_dunning(stack))


async def messaging_tenant(api: Any, stack: Stack, *, always_open: bool = True, **overrides: Any) -> TenantCtx:
    """A tenant created through the gateway whose ``gateway.tenant_changed`` messaging has processed; its channels
    open at any hour and uncapped (unless ``always_open`` is false), so tests do not depend on the clock."""
    tenant = await create_tenant(api, **overrides)
    while await relay_once(stack.engine, stack.arq, "gateway"):
        pass
    await run_messaging(settings())
    if always_open:
        body = {channel: {"quiet_hours": None, "frequency_cap": None} for channel in ("email", "sms", "whatsapp")}
        response = await api.patch("/v1/messaging-settings", json=body, headers=tenant.admin)
        assert response.status_code == 200, response.text
    return tenant


async def send(stack: Stack, tenant_id: uuid.UUID, communications: list[Communication]) -> Envelope:
    """Deliver a ``messaging.send_communications`` command as the outbox relay would."""
    envelope = Envelope.wrap(SendCommunications(communications=communications), tenant_id)
    await stack.arq.enqueue_job(HANDLE_MESSAGES, [envelope.model_dump(mode="json")], _queue_name=QUEUE)
    return envelope


async def deliver(stack: Stack, worker_settings: MessagingSettings) -> None:
    """Process what is queued (commands; a dunning run's content asked of the in-process dunning), then run the
    deliver job once (it sends until nothing is due)."""
    worker = build_worker_settings(worker_settings)
    await run_worker(worker, **dunning_routed(stack, worker))
    await stack.arq.enqueue_job(DELIVER, _queue_name=QUEUE, _job_id=f"test-deliver-{uuid.uuid4()}")
    await run_worker(worker, **dunning_routed(stack, worker))


async def relay_messaging(stack: Stack) -> None:
    while await relay_once(stack.engine, stack.arq, "messaging"):
        pass


async def outbox(stack: Stack, message_type: str | None = None) -> list[Any]:
    async with stack.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT * FROM messaging.outbox ORDER BY seq"))).all()
    return [r for r in rows if message_type in (None, r.message_type)]


async def messages(stack: Stack, tenant_id: uuid.UUID | None = None) -> list[Any]:
    async with stack.engine.connect() as conn:
        query = (
            "SELECT m.*, c.body_text, c.body_html, c.whatsapp, c.payload FROM messaging.messages m "
            "LEFT JOIN messaging.message_contents c ON c.message_id = m.id"
        )
        params: dict[str, Any] = {}
        if tenant_id:
            query += " WHERE m.tenant_id = :tenant"
            params["tenant"] = tenant_id
        return list((await conn.execute(text(query + " ORDER BY m.created_at, m.id"), params)).all())


async def set_channel(api: Any, tenant: TenantCtx, channel: str, **values: Any) -> dict[str, Any]:
    response = await api.patch("/v1/messaging-settings", json={channel: values}, headers=tenant.admin)
    assert response.status_code == 200, response.text
    return response.json()


def communication(
    channel: str = "email",
    to: str = "pagos@cliente.example",
    *,
    kind: str = "overdue",
    language: str = "es",
    tone: int | None = 1,
    customer_id: uuid.UUID | None = None,
    timezone: str = "America/Argentina/Buenos_Aires",
    key: str | None = None,
    attach_statement: bool = True,
    days: int = 84,
) -> Communication:
    today = date.today()
    return Communication.model_validate(
        {
            "idempotency_key": key or f"test-{uuid.uuid4()}",
            "kind": kind,
            "channel": channel,
            "to": to,
            "language": language,
            "tone": tone,
            "customer": {
                "customer_id": customer_id or uuid.uuid4(),
                "external_id": "C-001",
                "name": "Distribuidora del Sur S.A.",
                "country": "AR",
                "timezone": timezone,
            },
            "invoices": [
                {
                    "invoice_id": uuid.uuid4(),
                    "number": "A-3212",
                    "currency": "USD",
                    "amount": "123427.72",
                    "open_amount": "123427.72",
                    "issue_date": today - timedelta(days=days + 30),
                    "due_date": today - timedelta(days=days),
                    "days_overdue": days,
                }
            ],
            "oldest_days_overdue": days,
            "advisor": {"name": "Juan Gómez", "whatsapp": "+5491155550001"},
            "attach_statement": attach_statement,
            "source": "dunning",
            "source_ref": "run-1",
        }
    )


async def customer_with_email(api: Any, tenant: TenantCtx, address: str) -> uuid.UUID:
    """A customer of receivables with one email contact (end-to-end tests: the timeline, bounces, replies)."""
    created = await api.post(
        "/v1/customers",
        json={"name": "Distribuidora del Sur S.A.", "contacts": [{"channel": "email", "address": address}]},
        headers=tenant.admin,
    )
    assert created.status_code == 201, created.text
    return uuid.UUID(created.json()["id"])
