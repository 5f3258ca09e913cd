"""Events of the gateway, which owns tenants and users."""

import uuid

from shared.messages import Event, register


@register
class TenantChanged(Event):
    message_type = "gateway.tenant_changed"
    consumers = ("receivables", "dunning", "messaging", "alarms")

    tenant_id: uuid.UUID
    slug: str
    name: str
    country: str
    timezone: str
    default_currency: str
    language: str
    active: bool = True


@register
class UserChanged(Event):
    """A person of the tenant (collector, supervisor, ...) was created or changed."""

    message_type = "gateway.user_changed"
    consumers = ("receivables", "alarms")

    user_id: uuid.UUID
    email: str
    full_name: str
    roles: list[str]
    active: bool = True
