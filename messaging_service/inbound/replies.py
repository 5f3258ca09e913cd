"""A customer's reply: matched to the customer and to our message it answers, stored once, announced.

Shared by every way a reply arrives (SMS and WhatsApp webhooks here, email replies read by the SMTP side).
"""

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from messaging_service.delivery.repository import customer_external_id
from messaging_service.inbound import repository
from messaging_service.models import outbox
from shared.contracts.common import Channel
from shared.contracts.messaging import ReplyReceived
from shared.outbox import emit

BODY_CHARS = 4000


async def record_reply(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    channel: str,
    from_address: str,
    body: str,
    subject: str | None = None,
    in_reply_to: uuid.UUID | None = None,
    customer_id: uuid.UUID | None = None,
    opt_out: bool = False,
    received_at: datetime,
    external_id: str | None = None,
) -> uuid.UUID | None:
    """Store a reply and announce it (``messaging.reply_received``) in the caller's transaction; returns its id.

    ``from_address`` is normalized by the caller (E.164 phone, lower-case email). The message it answers is
    ``in_reply_to`` when the caller knows it (WhatsApp's ``context.id``, an email's In-Reply-To or VERP
    address), else the latest message we sent to ``from_address`` on ``channel`` in this tenant; the customer
    is ``customer_id``, else that message's. ``external_id`` is the provider's id of the inbound message
    (Twilio MessageSid, wamid, Message-ID): the same one recorded twice returns None and announces nothing.
    ``body`` is cut at 4,000 characters (cutting quoted history is the caller's job).
    """
    answered = None
    if in_reply_to is not None:
        answered = await repository.message_in_tenant(session, tenant_id, in_reply_to)
    if answered is None:
        answered = await repository.latest_message_to(session, tenant_id, channel, from_address)
    if customer_id is None and answered is not None:
        customer_id = answered.customer_id
    erp_id = None  # the ERP's id of the customer: the answered message's, else the customer's latest one
    if answered is not None and answered.customer_id == customer_id:
        erp_id = answered.customer_external_id
    if erp_id is None and customer_id is not None:
        erp_id = await customer_external_id(session, tenant_id, customer_id)
    text = body[:BODY_CHARS]
    reply_id = await repository.insert_reply(
        session,
        {
            "id": uuid.uuid4(),
            "tenant_id": tenant_id,
            "channel": channel,
            "from_address": from_address,
            "customer_id": customer_id,
            "in_reply_to": answered.id if answered is not None else None,
            "external_id": external_id,
            "subject": subject,
            "body": text,
            "opt_out": opt_out,
            "received_at": received_at,
        },
    )
    if reply_id is None:
        return None
    await emit(
        session,
        outbox,
        tenant_id,
        ReplyReceived(
            reply_id=reply_id,
            customer_id=customer_id,
            customer_external_id=erp_id,
            channel=Channel(channel),
            from_address=from_address,
            subject=subject,
            body=text,
            in_reply_to=answered.id if answered is not None else None,
            opt_out=opt_out,
            received_at=received_at,
        ),
    )
    return reply_id
