"""Rebuild dunning's projection of receivables on demand (the job is ``projection.resync``); it sits under the
dunning settings' path, where its outcome (``last_resync``) is shown."""

from typing import Any

from fastapi import APIRouter, Request, status

from dunning_service.projection.auth import ProjectionResync
from dunning_service.projection.resync import RESYNC_JOB
from dunning_service.tenant_settings.schemas import ResyncAccepted
from shared.outbox import queue_name
from shared.problems import problem_responses

router = APIRouter(prefix="/v1/dunning-settings", tags=["dunning-settings"], responses=problem_responses(401, 403))


@router.post("/resync", response_model=ResyncAccepted, status_code=status.HTTP_202_ACCEPTED)
async def resync_projection(identity: ProjectionResync, request: Request) -> dict[str, Any]:
    """Rebuild dunning's copy of customers and open invoices from receivables (runs in the worker; the
    outcome appears in `last_resync`)."""
    await request.app.state.arq.enqueue_job(
        RESYNC_JOB,
        str(identity.tenant_id),
        _queue_name=queue_name("dunning"),
        _job_id=f"{RESYNC_JOB}:{identity.tenant_id}",
    )
    return {"status": "queued", "detail": "The resync runs in the background; see last_resync in the settings"}
