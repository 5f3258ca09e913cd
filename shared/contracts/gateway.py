"""Events of the gateway, which owns tenants and users."""

import uuid
from datetime import datetime

from pydantic import Field

from shared.messages import Event, register


@register
class TenantChanged(Event):
    message_type = "gateway.tenant_changed"

    tenant_id: uuid.UUID
    slug: str
    name: str
    country: str
    timezone: str
    default_currency: str
    language: str
    active: bool = True
    sandbox: bool = Field(False, description="A sandbox tenant never reaches real providers (issue 15)")
    test_clock: datetime | None = Field(
        None, description="The sandbox tenant's frozen instant (its test clock); None: the wall clock"
    )


@register
class UserChanged(Event):
    """A person of the tenant (collector, supervisor, ...) was created or changed."""

    message_type = "gateway.user_changed"

    user_id: uuid.UUID
    email: str
    full_name: str
    roles: list[str]
    active: bool = True


@register
class LoginFailuresExceeded(Event):
    """An account of the tenant failed to log in ``failures`` times within the gateway's throttle window (issue 11):
    announced once per window, whether or not ``username`` is a user (the caller is never told)."""

    message_type = "gateway.login_failures_exceeded"

    tenant_id: uuid.UUID
    username: str = Field(max_length=320)
    failures: int
    address: str = Field(max_length=100, description="The client address of the last failure")
    window_seconds: int
