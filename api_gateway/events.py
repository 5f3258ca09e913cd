"""What the gateway announces of its tenants and users (``gateway.tenant_changed``, ``gateway.user_changed``): every
change of one announces all of it, through the outbox in the change's transaction."""

from api_gateway.models import Tenant, User
from shared.contracts.gateway import TenantChanged, UserChanged


def tenant_changed(tenant: Tenant) -> TenantChanged:
    """What ``gateway.tenant_changed`` says of a tenant: every change of a tenant announces all of it."""
    return TenantChanged(
        tenant_id=tenant.id,
        slug=tenant.slug,
        name=tenant.name,
        country=tenant.country,
        timezone=tenant.timezone,
        default_currency=tenant.default_currency,
        language=tenant.language,
        active=tenant.active,
        sandbox=tenant.sandbox,
        test_clock=tenant.test_clock,
    )


def user_announcement(user: User) -> UserChanged:
    """What ``gateway.user_changed`` says of a user; the internal API answers a look-up in the same shape."""
    return UserChanged(
        user_id=user.id,
        email=user.email,
        full_name=user.full_name,
        roles=list(user.roles),
        active=user.active,
    )
