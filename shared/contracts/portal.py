"""The events the portal (the customer's own page, issue 17) announces.

``PortalSettingsChanged`` tells messaging whether the tenant's messages carry ``{{ portal_link }}``;
``PortalActionTaken`` tells integrations (the webhooks catalogue) what a debtor did on the page, the moment it is
done (its effects in receivables announce themselves too: an invoice's status, a payment)."""

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field

from shared.messages import Event, register


@register
class PortalSettingsChanged(Event):
    message_type = "portal.settings_changed"

    enabled: bool = Field(description="Messages carry links to the customer's page")
    link_valid_days: int


@register
class PortalActionTaken(Event):
    """A debtor's action on the page, as the audit recorded it (``services/portal/audit``)."""

    message_type = "portal.action_taken"

    action_id: uuid.UUID
    customer_id: uuid.UUID
    customer_external_id: str | None = Field(None, description="The ERP's id of the customer, when known")
    kind: str = Field(description="The audit's kind: payment_reported, promise, dispute, call_requested...")
    detail: dict[str, Any] = Field(default_factory=dict, description="What the debtor asked")
    result: dict[str, Any] = Field(default_factory=dict, description="What it became (ids of outcome, task...)")
    at: datetime
