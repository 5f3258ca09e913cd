"""The gateway's internal API: what services ask the owner of users when their projection has not heard yet.

Not public: not in the OpenAPI, and only a caller with the ``service`` role in an identity signed with the internal
secret (``shared.internal.InternalClient``) is answered; the tenant is the signed one, so a service only ever learns
users of the tenant it asks for.
"""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from api_gateway.events import user_announcement
from api_gateway.users import repository
from api_gateway.users.auth import InternalCall
from shared.db import SessionDep
from shared.tenant_users import LOOKUP_LIMIT

router = APIRouter(prefix="/internal", include_in_schema=False)


@router.get("/users")
async def find_users(
    identity: InternalCall,
    session: SessionDep,
    user_id: Annotated[list[uuid.UUID], Query(max_length=LOOKUP_LIMIT)] = [],  # noqa: B006 - FastAPI copies it
    email: Annotated[list[str], Query(max_length=LOOKUP_LIMIT)] = [],  # noqa: B006
) -> list[dict[str, Any]]:
    """The signed tenant's users with these ids or emails (any case), as their ``gateway.user_changed``
    announcement says them; users of other tenants and unknown ones are simply not in the answer."""
    if not user_id and not email:
        return []
    users = await repository.find(session, identity.tenant_id, user_id, email)
    return [user_announcement(user).model_dump(mode="json") for user in users]
