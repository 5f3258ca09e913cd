"""API keys for integrations: hashed at rest (sha256), the secret shown once, revocable."""

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api_gateway.api_keys import repository
from api_gateway.api_keys.rules import beyond_grant
from api_gateway.api_keys.schemas import ApiKeyCreate
from api_gateway.identity.credentials import new_api_key
from api_gateway.identity.principal import Principal
from api_gateway.models import ApiKey
from api_gateway.users.rules import stored_roles
from shared.problems import Forbidden, NotFound


async def create_api_key(
    session: AsyncSession, creator: Principal, data: ApiKeyCreate, default_limit: int
) -> tuple[ApiKey, str]:
    """A new key of the creator's tenant, and its secret; refused (403) with roles the creator may not grant."""
    beyond = beyond_grant(data.roles, creator.roles)
    if beyond:
        raise Forbidden(f"You cannot give a key roles you do not hold: {', '.join(beyond)}")
    key, prefix, key_hash = new_api_key()
    api_key = ApiKey(
        id=uuid.uuid4(),
        tenant_id=creator.tenant_id,
        name=data.name,
        prefix=prefix,
        key_hash=key_hash,
        roles=stored_roles(data.roles),
        rate_limit_per_minute=data.rate_limit_per_minute or default_limit,
        created_by=creator.actor,
    )
    await repository.add(session, api_key)
    return api_key, key


async def list_api_keys(
    session: AsyncSession, tenant_id: uuid.UUID, limit: int, after: list[Any] | None
) -> list[ApiKey]:
    return await repository.page(session, tenant_id, limit, after)


async def revoke_api_key(session: AsyncSession, tenant_id: uuid.UUID, key_id: uuid.UUID) -> ApiKey:
    api_key = await repository.get(session, tenant_id, key_id)
    if api_key is None:
        raise NotFound("API key not found")
    if api_key.revoked_at is None:
        api_key.revoked_at = datetime.now(UTC)
        await session.flush()
    return api_key
