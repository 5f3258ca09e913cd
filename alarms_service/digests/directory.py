"""Who receives the digests, at digest time: the users (our projection of the gateway's events) and what no
event carries, asked from receivables' internal API: the action owner (``GET /v1/receivables-settings``) and the
dispute areas with their responsible people (``GET /v1/dispute-areas``)."""

import uuid
from collections.abc import Iterable
from typing import Annotated, Any

import httpx
from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from alarms_service.digests.rules import Area, Directory, Recipient, person_recipient
from alarms_service.projection.repository import tenant_users
from alarms_service.tenant_settings.rules import Alarm
from shared.internal import InternalClient
from shared.problems import ServiceUnavailable


class DirectoryUnavailable(ServiceUnavailable):
    """Receivables did not answer: a run waits and tries again rather than send digests to the wrong people."""

    slug, title = "receivables-unavailable", "Receivables did not answer the look-up of recipients"


async def load_users(session: AsyncSession, tenant_id: uuid.UUID) -> dict[uuid.UUID, Recipient]:
    """The tenant's users as recipients, by id (our projection of the gateway's events)."""
    return {
        u.user_id: Recipient(u.user_id, "user", u.full_name, u.email, active=u.active, user_id=u.user_id)
        for u in await tenant_users(session, tenant_id)
    }


async def fetch_directory(
    session: AsyncSession, client: InternalClient, tenant_id: uuid.UUID, alarms: Iterable[Alarm]
) -> Directory:
    """Only what the alarms at hand need: the action owner for the actions list, the areas for disputes."""
    wanted = set(alarms)
    users = await load_users(session, tenant_id)
    owner: uuid.UUID | None = None
    areas: list[Area] = []
    people: dict[uuid.UUID, Recipient] = {}
    try:
        if Alarm.ACTIONS in wanted:
            profile = await client.get_json("receivables", "/v1/receivables-settings", tenant_id)
            owner = uuid.UUID(profile["action_owner_id"]) if profile.get("action_owner_id") else None
        if Alarm.DISPUTES in wanted:
            listed: list[dict[str, Any]] = await client.all_items("receivables", "/v1/dispute-areas", tenant_id)
            for item in listed:
                responsible = item.get("responsible")
                areas.append(
                    Area(
                        id=uuid.UUID(item["id"]),
                        name=item["name"],
                        responsible_id=uuid.UUID(responsible["id"]) if responsible else None,
                    )
                )
                if responsible:
                    person = person_recipient(responsible, users)
                    people[person.id] = person
    except (httpx.HTTPError, KeyError, ValueError) as exc:
        raise DirectoryUnavailable(f"{type(exc).__name__}: {exc}"[:500]) from exc
    return Directory(users=users, people=people, areas=areas, action_owner_id=owner)


async def receivables_client(request: Request) -> InternalClient:
    """The client of receivables' API a request uses (tests route it to the in-process receivables app)."""
    return InternalClient(request.app.state.http, request.app.state.settings)


ReceivablesDep = Annotated[InternalClient, Depends(receivables_client)]
