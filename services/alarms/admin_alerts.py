"""Alerts to a tenant's admins (a login under attack, a webhook endpoint disabled): who they are, in which language
to write to them, and the emails, one per admin, that messaging sends.

At the top of the service because two packages share it: ``login_alerts`` and ``webhook_alerts`` both write to the
admins, and neither owns the other."""

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import any_, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.alarms.models import Tenant, User
from shared.contracts.common import Channel
from shared.contracts.messaging import Communication, CommunicationKind, SendCommunications
from shared.identity import ADMIN
from shared.validation import LANGUAGES


@dataclass(frozen=True, slots=True)
class Admin:
    """An active admin of the tenant: whom an alert is written to."""

    user_id: uuid.UUID
    email: str
    full_name: str


async def active_admins(session: AsyncSession, tenant_id: uuid.UUID) -> list[Admin]:
    """The tenant's active admins, by email."""
    query = (
        select(User.user_id, User.email, User.full_name)
        .where(User.tenant_id == tenant_id, User.active, literal(ADMIN) == any_(User.roles))
        .order_by(User.email)
    )
    return [Admin(user_id, email, full_name) for user_id, email, full_name in await session.execute(query)]


async def tenant_language(session: AsyncSession, tenant_id: uuid.UUID) -> str:
    """The tenant's language when the alerts speak it, else Spanish."""
    language = await session.scalar(select(Tenant.language).where(Tenant.tenant_id == tenant_id))
    return language if language in LANGUAGES else "es"


def emails_to_admins(
    admins: list[Admin], language: str, data: dict[str, Any], key_prefix: str, source_ref: str
) -> SendCommunications:
    """One alert email per admin; the idempotency key is ``key_prefix`` and the admin, so a repeat sends nothing."""
    return SendCommunications(
        communications=[
            Communication(
                idempotency_key=f"{key_prefix}:{admin.user_id}",
                kind=CommunicationKind.ALARM_DIGEST,
                channel=Channel.EMAIL,
                to=admin.email,
                language=language,
                recipient_name=admin.full_name,
                data=data,
                source="alarms",
                source_ref=source_ref,
            )
            for admin in admins
        ]
    )
