"""Accepting ``messaging.send_communications`` (and a dunning run's ``send_dispatched_communications``, their
content asked of dunning first): one set-based pass per tenant in the batch.

Each communication becomes one message, rendered now, in state ``queued`` (due now), ``deferred`` (outside the
contact window or over the frequency cap: it goes at the next opening, never dropped) or ``failed`` (opted out,
invalid address, channel off, customer of another tenant, template error). Its idempotency key makes a duplicate
command a no-op. Sending happens later, in the ``deliver`` jobs.
"""

import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from arq import Retry
from sqlalchemy.ext.asyncio import AsyncSession

from messaging_service.channels.config import configured, policy
from messaging_service.delivery import repository
from messaging_service.delivery.dispatched import dispatched_communications
from messaging_service.delivery.events import status_rows
from messaging_service.delivery.jobs import start_deliveries
from messaging_service.delivery.portal_links import carried, issued, mint
from messaging_service.delivery.rendering import language_of, render_communication, unsubscribe_link
from messaging_service.delivery.rows import Tenant
from messaging_service.delivery.rules import UNCAPPED_KINDS, schedule, zone
from messaging_service.delivery.statement import needs_pdf
from messaging_service.models import TenantSettings, outbox
from messaging_service.optouts.rules import unsubscribe_token
from messaging_service.settings import MessagingSettings
from messaging_service.templates.context import TenantView
from messaging_service.tenant_settings.rules import clock_of, is_sandbox, tenant_calendar
from shared.contracts.common import Channel
from shared.contracts.messaging import (
    Communication,
    ContactInvalidated,
    PortalLink,
    PortalLinksIssued,
    SendCommunications,
    SendDispatchedCommunications,
)
from shared.inbox import Received, messages_by_tenant
from shared.outbox import emit_many
from shared.validation import normalize_email, normalize_phone

# What a message says goes to ``message_contents``, written once; the rest to ``messages``.
CONTENT = ("body_text", "body_html", "whatsapp", "payload")
# The longest cap window looked back at (a tenant's cap window is at most this long).
CAP_LOOKBACK = timedelta(days=31)


class TenantNotKnownYet(Retry):
    """A command for a tenant whose ``gateway.tenant_changed`` has not arrived yet: try again shortly."""


def tenant_view(row: Tenant | TenantSettings) -> TenantView:
    return TenantView(
        name=row.name or row.slug or "",
        country=row.country,
        timezone=row.timezone,
        language=row.language,
        profile=dict(row.profile or {}),
        test_clock=row.test_clock,
        portal_enabled=row.portal_enabled,
    )


def public_base(settings: MessagingSettings) -> str:
    return (settings.public_base_url or settings.gateway_url).rstrip("/")


def normalize_address(channel: Channel, address: str) -> str:
    """An email address checked and lowercased (mailboxes ignore case in practice, and an opt-out must match
    however the ERP wrote it), a phone number in E.164; ``ValueError`` when it is neither."""
    return normalize_email(address).lower() if channel is Channel.EMAIL else normalize_phone(address)


async def on_send_communications(
    ctx: dict[str, Any], session: AsyncSession, batch: list[Received[SendCommunications]]
) -> None:
    per_tenant: dict[uuid.UUID, list[tuple[Communication, dict[str, Any]]]] = defaultdict(list)
    for received in batch:
        # The JSON each communication arrived as is what is stored (no need to serialize the model again).
        raw = received.envelope.payload["communications"]
        per_tenant[received.tenant_id].extend(zip(received.message.communications, raw, strict=True))
    await _accept_all(ctx, session, per_tenant)


async def on_send_dispatched_communications(
    ctx: dict[str, Any], session: AsyncSession, batch: list[Received[SendDispatchedCommunications]]
) -> None:
    """A run's communications by reference: their content asked of dunning first, then accepted as any."""
    per_tenant: dict[uuid.UUID, list[tuple[Communication, dict[str, Any]]]] = defaultdict(list)
    for tenant_id, commands in messages_by_tenant(batch).items():
        ids = [dispatch_id for command in commands for dispatch_id in command.dispatch_ids]
        raw = await dispatched_communications(ctx["dunning"], tenant_id, ids)
        per_tenant[tenant_id].extend((Communication.model_validate(r), r) for r in raw)
    await _accept_all(ctx, session, per_tenant)


async def _accept_all(
    ctx: dict[str, Any], session: AsyncSession, per_tenant: dict[uuid.UUID, list[tuple[Communication, dict[str, Any]]]]
) -> None:
    due = 0
    for tenant_id, items in per_tenant.items():
        due += await accept(session, ctx["settings"], tenant_id, [c for c, _ in items], None, [r for _, r in items])
    if due and "redis" in ctx:
        # Started now, they find these messages as soon as this transaction commits (they linger a moment).
        await start_deliveries(ctx["redis"], ctx["settings"].delivery_parallelism)


async def accept(
    session: AsyncSession,
    settings: MessagingSettings,
    tenant_id: uuid.UUID,
    communications: list[Communication],
    now: datetime | None = None,
    raw: list[dict[str, Any]] | None = None,
) -> int:
    """Create the messages of one tenant's communications; answers how many are due now. ``now`` is the
    tenant's clock unless given: a sandbox tenant's test clock decides the window, the cap and the holidays."""
    tenant = (await repository.tenant_settings(session, [tenant_id])).get(tenant_id)
    if tenant is None or tenant.tenant_event_at is None:
        raise TenantNotKnownYet(defer=30)
    now = now or clock_of(tenant).now()
    await repository.lock_tenant(session, tenant_id)
    unique: dict[str, Communication] = {}
    payloads: dict[str, dict[str, Any]] = {}
    for index, communication in enumerate(communications):
        if communication.idempotency_key not in unique:
            unique[communication.idempotency_key] = communication
            payloads[communication.idempotency_key] = (
                raw[index] if raw is not None else communication.model_dump(mode="json")
            )
    taken = await repository.existing_keys(session, tenant_id, list(unique))
    fresh = [c for key, c in unique.items() if key not in taken]
    if not fresh:
        return 0
    addresses: dict[str, str | None] = {}
    for communication in fresh:
        try:
            addresses[communication.idempotency_key] = normalize_address(communication.channel, communication.to)
        except ValueError:
            addresses[communication.idempotency_key] = None
    customers = {c.customer.customer_id for c in fresh if c.customer}
    suppressed = await repository.suppressed(session, tenant_id, [a for a in addresses.values() if a])
    foreign = await repository.foreign_customers(session, tenant_id, customers)
    recent = await repository.recent_schedule(session, tenant_id, customers, now - CAP_LOOKBACK)
    templates = await repository.template_index(session, tenant_id)
    view = tenant_view(tenant)
    base = public_base(settings)
    secret = settings.link_secret()
    rows: list[dict[str, Any]] = []
    invalid: list[ContactInvalidated] = []
    links: list[PortalLink] = []
    for communication in fresh:
        address = addresses[communication.idempotency_key]
        customer_id = communication.customer.customer_id if communication.customer else None
        channel = communication.channel.value
        rule = policy(tenant.channels, channel)
        row = _row(tenant_id, communication, payloads[communication.idempotency_key], address, view, now)
        refusal = _refusal(
            active=tenant.active,
            enabled=rule.enabled,
            configured=configured(settings, channel, tenant.channels, tenant.secrets, sandbox=is_sandbox(tenant)),
            foreign=customer_id in foreign,
            address=address,
            suppression=suppressed.get((channel, address or "")),
        )
        if refusal is None:
            token = unsubscribe_token(secret, row["id"])
            link = mint(view.portal_enabled, communication, base)
            try:
                rendered = render_communication(
                    communication,
                    view,
                    templates,
                    today=now.astimezone(zone(row["timezone"])).date(),
                    unsubscribe_url=unsubscribe_link(base, token),
                    portal_link=link.url if link else None,
                )
            except Exception as exc:  # a tenant's template may fail in many ways; the message says how
                refusal = ("template_error", f"{type(exc).__name__}: {exc}"[:1000])
            else:
                if link is not None and customer_id is not None and carried(rendered, link):
                    links.append(issued(link, customer_id, row["id"], communication.channel, row["language"], now))
                row.update(
                    subject=rendered.subject,
                    body_text=rendered.body_text,
                    body_html=rendered.body_html,
                    whatsapp=rendered.whatsapp,
                    template_ref=rendered.template_ref,
                )
        if refusal is not None:
            code, error = refusal
            row.update(state="failed", error_code=code, error=error, failed_at=now)
            if code == "invalid_address" and customer_id is not None:
                invalid.append(
                    ContactInvalidated(
                        customer_id=customer_id,
                        customer_external_id=row["customer_external_id"],
                        channel=communication.channel,
                        address=communication.to,
                        reason=error,
                    )
                )
        else:
            times = recent[(customer_id, channel)] if customer_id else []
            cap = rule.cap if customer_id and communication.kind not in UNCAPPED_KINDS else None
            slot = schedule(now, zone(row["timezone"]), rule.window, cap, times, tenant_calendar(tenant))
            if communication.kind not in UNCAPPED_KINDS:
                times.append(slot.at)
            row.update(
                state="deferred" if slot.deferred else "queued", scheduled_at=slot.at, deferred_reason=slot.reason
            )
        rows.append(row)
    await repository.copy_messages(
        session,
        rows,
        [{"tenant_id": row["tenant_id"], "message_id": row["id"], **{c: row[c] for c in CONTENT}} for row in rows],
    )
    accepted = [SimpleNamespace(**row) for row in rows]
    await repository.copy_outbox(session, status_rows(tenant_id, accepted, now, with_preview=True))
    await emit_many(session, outbox, tenant_id, [*invalid, *([PortalLinksIssued(links=links)] if links else [])])
    return sum(1 for row in rows if row["state"] == "queued")


def invoices_about(communication: Communication) -> list[uuid.UUID]:
    """The invoices a message is about (its timeline link, its effect): those that triggered it when the
    communication marks them (a reminder carrying the customer's whole position, issue 12), else all it lists."""
    triggered = [i.invoice_id for i in communication.invoices if i.triggered]
    return triggered or [i.invoice_id for i in communication.invoices]


def _refusal(
    *, active: bool, enabled: bool, configured: bool, foreign: bool, address: str | None, suppression: str | None
) -> tuple[str, str] | None:
    """Why a communication is not sent, in order of precedence; None when it may go."""
    if not active:
        return "tenant_inactive", "the tenant is not active"
    if not enabled:
        return "channel_disabled", "the tenant turned this channel off"
    if not configured:
        return "channel_not_configured", "the tenant has no provider configured for this channel"
    if foreign:
        return "customer_of_another_tenant", "the customer belongs to another tenant"
    if address is None:
        return "invalid_address", "the address is not a valid email address or phone number"
    if suppression == "opt_out":
        return "opted_out", "the customer opted out of this channel"
    if suppression == "invalid":
        return "invalid_contact", "the address was found invalid before"
    return None


def _row(
    tenant_id: uuid.UUID,
    communication: Communication,
    payload: dict[str, Any],
    address: str | None,
    tenant: TenantView,
    now: datetime,
) -> dict[str, Any]:
    customer = communication.customer
    timezone = (customer.timezone if customer else None) or tenant.timezone or "UTC"
    return {
        "id": uuid.uuid4(),
        "tenant_id": tenant_id,
        "idempotency_key": communication.idempotency_key,
        "source": communication.source,
        "source_ref": communication.source_ref,
        "kind": communication.kind.value,
        "channel": communication.channel.value,
        "language": language_of(communication, tenant),
        "tone": communication.tone,
        "customer_id": customer.customer_id if customer else None,
        "customer_external_id": customer.external_id if customer else None,
        "to_address": address or communication.to,
        "recipient_name": communication.recipient_name or (customer.name if customer else None),
        "timezone": str(zone(timezone)),
        "template_ref": None,
        "subject": None,
        "body_text": None,
        "body_html": None,
        "whatsapp": None,
        "payload": payload,
        "invoice_ids": invoices_about(communication),
        "state": "queued",
        "scheduled_at": now,
        "deferred_reason": None,
        "attempts": 0,
        "provider_message_id": None,
        "error_code": None,
        "error": None,
        "dead_lettered": False,
        "needs_pdf": needs_pdf(communication.channel.value, bool(communication.attach_statement), tenant),
        "resend_count": 0,
        "sent_at": None,
        "delivered_at": None,
        "read_at": None,
        "failed_at": None,
        "created_at": now,
        "updated_at": now,
    }
