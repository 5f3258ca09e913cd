"""Endpoints: registration (URL checked, secret shown once), changes, rotation of the secret, re-enabling."""

import base64
import secrets as random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.webhooks.deliveries.rows import EndpointRow
from services.webhooks.endpoints import repository
from services.webhooks.endpoints.addresses import url_refusal
from services.webhooks.endpoints.schemas import WebhookEndpointCreate, WebhookEndpointUpdate, WebhookSecretRotation
from services.webhooks.settings import WebhooksSettings
from services.webhooks.tenant_settings import service as tenant_settings
from shared.problems import NotFound, ValidationProblem

SECRET_BYTES = 32


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and the base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(random.token_bytes(SECRET_BYTES)).decode()


async def check_url(session: AsyncSession, settings: WebhooksSettings, tenant_id: uuid.UUID, url: str) -> None:
    """A 422 naming ``url`` when it may not be called (``endpoints.rules``)."""
    allow_private = (await tenant_settings.current(session, tenant_id)).allow_private_urls
    refusal, _ = await url_refusal(url, development=settings.environment == "development", allow_private=allow_private)
    if refusal is not None:
        raise ValidationProblem.field("url", refusal)


def _found(endpoint: EndpointRow | None) -> EndpointRow:
    if endpoint is None:
        raise NotFound("Webhook endpoint not found")
    return endpoint


async def load(session: AsyncSession, tenant_id: uuid.UUID, endpoint_id: uuid.UUID, lock: bool = False) -> EndpointRow:
    """The tenant's endpoint, or a 404."""
    return _found(await repository.get_endpoint(session, tenant_id, endpoint_id, lock=lock))


async def create_endpoint(
    session: AsyncSession, settings: WebhooksSettings, tenant_id: uuid.UUID, data: WebhookEndpointCreate
) -> dict[str, Any]:
    await check_url(session, settings, tenant_id, data.url)
    endpoint = await repository.insert_endpoint(
        session,
        tenant_id,
        url=data.url,
        description=data.description,
        event_types=sorted({t.value for t in data.event_types}),
        enabled=data.enabled,
        disabled_reason=None if data.enabled else "disabled by request",
        disabled_at=None if data.enabled else datetime.now(UTC),
    )
    secret = new_secret()
    await repository.add_secret(session, tenant_id, endpoint.id, secret)
    return {**endpoint.as_dict(), "secret": secret}


async def update_endpoint(
    session: AsyncSession,
    settings: WebhooksSettings,
    tenant_id: uuid.UUID,
    endpoint_id: uuid.UUID,
    data: WebhookEndpointUpdate,
) -> EndpointRow:
    endpoint = await load(session, tenant_id, endpoint_id, lock=True)
    values: dict[str, Any] = {}
    if data.url is not None and data.url != endpoint.url:
        await check_url(session, settings, tenant_id, data.url)
        values["url"] = data.url
    if "description" in data.model_fields_set:
        values["description"] = data.description
    if data.event_types is not None:
        values["event_types"] = sorted({t.value for t in data.event_types})
    if data.enabled is False and endpoint.enabled:
        values |= {"enabled": False, "disabled_reason": "disabled by request", "disabled_at": datetime.now(UTC)}
    if data.enabled is True and not endpoint.enabled:
        return await enable(session, tenant_id, endpoint_id, **values)
    if not values:
        return endpoint
    return _found(await repository.update_endpoint(session, tenant_id, endpoint_id, **values))


async def enable(session: AsyncSession, tenant_id: uuid.UUID, endpoint_id: uuid.UUID, **values: Any) -> EndpointRow:
    """Re-enable: the pending deliveries it kept are due at once; the failure clock starts again."""
    await load(session, tenant_id, endpoint_id, lock=True)
    endpoint = await repository.update_endpoint(
        session,
        tenant_id,
        endpoint_id,
        **values,
        enabled=True,
        disabled_reason=None,
        disabled_at=None,
        failing_since=None,
    )
    await repository.resume_deliveries(session, tenant_id, endpoint_id)
    return _found(endpoint)


async def delete_endpoint(session: AsyncSession, tenant_id: uuid.UUID, endpoint_id: uuid.UUID) -> None:
    if not await repository.delete_endpoint(session, tenant_id, endpoint_id):
        raise NotFound("Webhook endpoint not found")


async def rotate_secret(
    session: AsyncSession,
    settings: WebhooksSettings,
    tenant_id: uuid.UUID,
    endpoint_id: uuid.UUID,
    data: WebhookSecretRotation,
) -> dict[str, Any]:
    """A new secret; the ones signing now keep signing for the overlap, so deliveries carry both signatures."""
    await load(session, tenant_id, endpoint_id, lock=True)
    overlap = settings.rotation_overlap_seconds if data.overlap_seconds is None else data.overlap_seconds
    expires_at = datetime.now(UTC) + timedelta(seconds=overlap)
    await repository.expire_secrets(session, tenant_id, endpoint_id, expires_at)
    secret = new_secret()
    await repository.add_secret(session, tenant_id, endpoint_id, secret)
    return {"secret": secret, "previous_expires_at": expires_at}
