"""Alerts to a tenant's admins (a login under attack, a webhook endpoint disabled): in which language to write to
them, and the emails, one per admin, that messaging sends (who they are: ``projection.repository.active_admins``).

At the top of the service because two packages share it: ``login_alerts`` and ``webhook_alerts`` both write to the
admins, and neither owns the other."""

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from alarms_service.projection import repository
from alarms_service.projection.repository import Admin
from shared.contracts.common import Channel
from shared.contracts.messaging import Communication, CommunicationKind, SendCommunications
from shared.validation import LANGUAGES


async def tenant_language(session: AsyncSession, tenant_id: uuid.UUID) -> str:
    """The tenant's language when the alerts speak it, else Spanish."""
    language = await repository.tenant_language(session, tenant_id)
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
