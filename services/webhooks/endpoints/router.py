"""``/v1/webhook-endpoints``: tenant admins manage endpoints and their secrets; integrations (API keys) may read
them (never a secret: it is shown once, at creation or rotation). The tenant's webhook settings: ``tenant_settings``.
"""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response, status

from services.webhooks.deliveries.rows import EndpointRow
from services.webhooks.endpoints import repository, service
from services.webhooks.endpoints.auth import EndpointsRead, EndpointsWrite
from services.webhooks.endpoints.schemas import (
    WebhookEndpointCreate,
    WebhookEndpointCreated,
    WebhookEndpointOut,
    WebhookEndpointUpdate,
    WebhookSecretRotated,
    WebhookSecretRotation,
)
from services.webhooks.settings import WebhooksSettings
from shared.db import SessionDep
from shared.pagination import Page, PageDep, make_page
from shared.problems import problem_responses

router = APIRouter(prefix="/v1/webhook-endpoints", tags=["webhooks"], responses=problem_responses(401, 403, 422))


def _settings(request: Request) -> WebhooksSettings:
    settings: WebhooksSettings = request.app.state.settings
    return settings


SettingsDep = Annotated[WebhooksSettings, Depends(_settings)]


@router.post("", response_model=WebhookEndpointCreated, status_code=status.HTTP_201_CREATED)
async def create_endpoint(
    identity: EndpointsWrite, data: WebhookEndpointCreate, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    """Register an endpoint (admins). The answer holds its signing secret, shown this once: keep it. The URL must
    be https and public (a private address only if the platform operator allowed the tenant)."""
    return await service.create_endpoint(session, settings, identity.tenant_id, data)


@router.get("", response_model=Page[WebhookEndpointOut])
async def list_endpoints(identity: EndpointsRead, session: SessionDep, page: PageDep) -> dict[str, Any]:
    """The tenant's endpoints, oldest first (admins, integrations)."""
    rows = await repository.list_endpoints(session, identity.tenant_id, limit=page.limit, after=page.cursor)
    return make_page(rows, page.limit, key=lambda r: [r.created_at, r.id], item=EndpointRow.as_dict)


@router.get("/{endpoint_id}", response_model=WebhookEndpointOut, responses=problem_responses(404))
async def get_endpoint(identity: EndpointsRead, endpoint_id: uuid.UUID, session: SessionDep) -> dict[str, Any]:
    return (await service.load(session, identity.tenant_id, endpoint_id)).as_dict()


@router.patch("/{endpoint_id}", response_model=WebhookEndpointOut, responses=problem_responses(404))
async def update_endpoint(
    identity: EndpointsWrite,
    endpoint_id: uuid.UUID,
    data: WebhookEndpointUpdate,
    session: SessionDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    """Change the URL (checked again), description, event types, or enable / disable it (admins)."""
    return (await service.update_endpoint(session, settings, identity.tenant_id, endpoint_id, data)).as_dict()


@router.delete("/{endpoint_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(404))
async def delete_endpoint(identity: EndpointsWrite, endpoint_id: uuid.UUID, session: SessionDep) -> Response:
    """Remove the endpoint with its secrets and delivery log (admins); the events stay."""
    await service.delete_endpoint(session, identity.tenant_id, endpoint_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{endpoint_id}/rotate-secret", response_model=WebhookSecretRotated, responses=problem_responses(404))
async def rotate_secret(
    identity: EndpointsWrite,
    endpoint_id: uuid.UUID,
    session: SessionDep,
    settings: SettingsDep,
    data: WebhookSecretRotation | None = None,
) -> dict[str, Any]:
    """A new signing secret, shown this once (admins). The previous one keeps signing for the overlap (24 h unless
    `overlap_seconds` says): meanwhile every delivery's `webhook-signature` carries both signatures."""
    return await service.rotate_secret(
        session, settings, identity.tenant_id, endpoint_id, data or WebhookSecretRotation()
    )


@router.post("/{endpoint_id}/enable", response_model=WebhookEndpointOut, responses=problem_responses(404))
async def enable_endpoint(identity: EndpointsWrite, endpoint_id: uuid.UUID, session: SessionDep) -> dict[str, Any]:
    """Re-enable a disabled endpoint (admins): the deliveries it kept pending go out at once; events that came
    while it was disabled were not queued for it (replay their time range)."""
    return (await service.enable(session, identity.tenant_id, endpoint_id)).as_dict()
