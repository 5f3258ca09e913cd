"""Alerts to a tenant's admins (a login under attack, a webhook endpoint disabled): in which language to write to
them, the emails, one per admin, that messaging sends (who they are: ``projection.repository.active_admins``), and
the item each admin finds in their inbox (issue 18).

At the top of the service because two packages share it: ``login_alerts`` and ``webhook_alerts`` both write to the
admins, and neither owns the other."""

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from alarms_service.inbox.repository import file_items
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


async def file_for_admins(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    admins: list[Admin],
    kind: str,
    source_id: uuid.UUID,
    data: dict[str, Any],
) -> None:
    """The alert in each admin's inbox, with what its email says; the same source twice files nothing new."""
    await file_items(
        session,
        [
            {
                "id": uuid.uuid4(),
                "tenant_id": tenant_id,
                "user_id": admin.user_id,
                "kind": kind,
                "source_id": source_id,
                "title": data["title"],
                "summary": data["summary"],
                "lines": list(data["lines"]),
                "action": data["action"],
                "row_count": 1,
            }
            for admin in admins
        ],
    )
