"""Resending a failed message, and the daily counts."""

import uuid
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from messaging_service.channels.config import policy
from messaging_service.delivery import repository as delivery_repository
from messaging_service.delivery.acceptance import normalize_address, public_base, tenant_view
from messaging_service.delivery.events import status_changed
from messaging_service.delivery.portal_links import carried, issued, mint
from messaging_service.delivery.rendering import render_communication, unsubscribe_link
from messaging_service.delivery.rules import RESENDABLE, UNCAPPED_KINDS, schedule, zone
from messaging_service.delivery.suppressions import OPT_OUT
from messaging_service.messages import repository
from messaging_service.messages.schemas import DayCount, MessageStats
from messaging_service.models import Message, outbox
from messaging_service.optouts.rules import unsubscribe_token
from messaging_service.settings import MessagingSettings
from messaging_service.tenant_settings import repository as tenant_settings_repository
from messaging_service.tenant_settings.rules import clock_of, tenant_calendar
from shared.contracts.common import Channel
from shared.contracts.messaging import Communication, PortalLinksIssued
from shared.outbox import emit
from shared.problems import Conflict, NotFound, ValidationProblem


async def resend(
    session: AsyncSession, settings: MessagingSettings, tenant_id: uuid.UUID, message_id: uuid.UUID, to: str | None
) -> Message:
    """Queue a failed or bounced message again (to a corrected address if given), under the same compliance
    rules as a new one: the contact window and the cap apply, an opted-out address is refused."""
    message = await repository.locked_message(session, tenant_id, message_id)
    if message is None:
        raise NotFound("Message not found")
    if message.state not in RESENDABLE:
        raise Conflict(f"Only a failed or bounced message can be resent; this one is {message.state}")
    address = message.to_address
    if to is not None:
        try:
            address = normalize_address(Channel(message.channel), to)
        except ValueError as exc:
            raise ValidationProblem.field("to", str(exc)) from None
    blocked = (await delivery_repository.suppressed(session, tenant_id, [address])).get((message.channel, address))
    if blocked == OPT_OUT:
        raise Conflict("The customer opted out of this channel at this address")
    if blocked:
        raise Conflict("The address is known invalid: give another one, or remove it from the invalid contacts")
    tenant = await tenant_settings_repository.load(session, tenant_id)
    if tenant is None:  # never: a message is accepted only for a tenant whose settings row exists
        raise NotFound("Message not found")
    now = clock_of(tenant).now()
    content = await repository.locked_content(session, message.tenant_id, message.id)
    if address != message.to_address and content is not None and content.payload:
        communication = Communication.model_validate({**content.payload, "to": address})
        view = tenant_view(tenant)
        token = unsubscribe_token(settings.link_secret(), message.id)
        link = mint(view.portal_enabled, communication, public_base(settings))
        rendered = render_communication(
            communication,
            view,
            await delivery_repository.template_index(session, tenant_id),
            today=now.astimezone(zone(message.timezone)).date(),
            unsubscribe_url=unsubscribe_link(public_base(settings), token),
            portal_link=link.url if link else None,
        )
        if link is not None and message.customer_id is not None and carried(rendered, link):
            new_link = issued(link, message.customer_id, message.id, communication.channel, message.language, now)
            await emit(session, outbox, tenant_id, PortalLinksIssued(links=[new_link]))
        content.payload = communication.model_dump(mode="json")
        content.body_text, content.body_html, content.whatsapp = (
            rendered.body_text,
            rendered.body_html,
            rendered.whatsapp,
        )
        message.subject, message.template_ref = rendered.subject, rendered.template_ref
    rule = policy(tenant.channels if tenant else None, message.channel)
    recent = []
    if message.customer_id:
        found = await delivery_repository.recent_schedule(
            session, tenant_id, {message.customer_id}, now - timedelta(days=31)
        )
        recent = found[(message.customer_id, message.channel)]
    calendar = tenant_calendar(tenant) if tenant else None
    cap = rule.cap if message.customer_id and message.kind not in UNCAPPED_KINDS else None
    slot = schedule(now, zone(message.timezone), rule.window, cap, recent, calendar)
    message.to_address = address
    message.state = "deferred" if slot.deferred else "queued"
    message.scheduled_at, message.deferred_reason = slot.at, slot.reason
    message.error = message.error_code = message.failed_at = None
    message.dead_lettered = False
    message.resend_count += 1
    await session.flush()
    await session.refresh(message)
    await emit(session, outbox, tenant_id, status_changed(message, at=now, with_preview=False))
    return message


async def stats(
    session: AsyncSession, tenant_id: uuid.UUID, since: date | None, until: date | None, channel: str | None
) -> MessageStats:
    tenant = await tenant_settings_repository.load(session, tenant_id)
    tz = zone(tenant.timezone if tenant else None)
    today = clock_of(tenant).now().astimezone(tz).date()
    until = until or today
    since = since or until - timedelta(days=29)
    start = datetime.combine(since, time(), tzinfo=tz)
    end = datetime.combine(until + timedelta(days=1), time(), tzinfo=tz)
    rows = await repository.daily_counts(session, tenant_id, str(tz), start, end, channel)
    days: dict[tuple[date, str], dict[str, int]] = defaultdict(dict)
    for row in rows:
        days[(row.day, row.channel)][row.state] = row.n
    return MessageStats(
        timezone=str(tz),
        days=[
            DayCount(date=day, channel=channel_, counts=counts, total=sum(counts.values()))
            for (day, channel_), counts in sorted(days.items())
        ],
    )
