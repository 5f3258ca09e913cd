"""Webhooks out to integrations (issue 14): the catalogue of event types an ERP can subscribe to, the versioned
payload of each, and the event that tells alarms an endpoint was disabled.

What goes on the wire follows the Standard Webhooks convention: a JSON body ``{"type", "timestamp", "data"}``
signed with ``webhook-id``, ``webhook-timestamp`` and ``webhook-signature`` headers. ``data`` is the type's payload
model (its ``version`` field says which shape); adding an optional field keeps the version.

The webhooks service (``services/webhooks``) turns the services' internal events into ``OutgoingEvent``s
(``services/webhooks/catalogue.py``), stores them, and delivers each to every endpoint subscribed to its type.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from shared.messages import Event, register


class WebhookEventType(StrEnum):
    """Every event an endpoint can subscribe to (the catalogue)."""

    INVOICE_STATUS_CHANGED = "invoice.status_changed"
    PROMISE_MADE = "promise.made"
    PROMISE_KEPT = "promise.kept"
    PROMISE_BROKEN = "promise.broken"
    PAYMENT_REPORTED = "payment.reported"
    PAYMENT_ALLOCATED = "payment.allocated"
    DISPUTE_OPENED = "dispute.opened"
    DISPUTE_RESOLVED = "dispute.resolved"
    ACTION_ITEM_CREATED = "action_item.created"
    ACTION_ITEM_RESOLVED = "action_item.resolved"
    MESSAGE_SENT = "message.sent"
    MESSAGE_DELIVERED = "message.delivered"
    MESSAGE_FAILED = "message.failed"
    CONTACT_INVALID = "contact.invalid"
    CUSTOMER_OPTED_OUT = "customer.opted_out"
    CUSTOMER_REPLIED = "customer.replied"
    # Sent on request to one endpoint (``POST /v1/webhook-endpoints/{id}/test``): checks the integration end to end.
    PING = "webhook.ping"


@dataclass(frozen=True, slots=True)
class OutgoingEvent:
    """One catalogue event, ready to store and deliver.

    ``event_id`` is the ``webhook-id`` every delivery of it carries (stable across retries and replays), derived
    from the internal event's id so a repeated internal event yields the same id; ``data`` is the JSON form
    (``model_dump(mode="json")``) of the type's payload model."""

    tenant_id: uuid.UUID
    event_id: str
    event_type: WebhookEventType
    occurred_at: datetime
    data: dict[str, Any]


@register
class WebhookEndpointDisabled(Event):
    """An endpoint kept failing for the tenant's disable period and was disabled: alarms emails the tenant's
    admins."""

    message_type = "webhooks.endpoint_disabled"
    consumers = ("alarms",)

    endpoint_id: uuid.UUID
    url: str
    failing_since: datetime
    disabled_at: datetime
    last_error: str | None = None
