"""Messaging asks for a run's communications by their dispatches (``SendDispatchedCommunications``, issue 13):
each built as the run would have (``handover_repository.dispatched_communications``), in the order asked."""

from fastapi import APIRouter, Response

from dunning_service.runs import handover_repository
from dunning_service.runs.auth import ServiceCall
from dunning_service.runs.context import load_tenant
from dunning_service.runs.schemas import DispatchedAsked
from shared.db import SessionDep

router = APIRouter(prefix="/internal/dispatched-communications", include_in_schema=False)


@router.post("")
async def dispatched_communications(identity: ServiceCall, data: DispatchedAsked, session: SessionDep) -> Response:
    """``{"communications": [...]}``: a ``SendCommunications`` payload, its communications in the order asked; a
    dispatch unknown to the tenant (or a task) is left out. The JSON is the database's, passed through."""
    tenant = await load_tenant(session, identity.tenant_id)
    built = await handover_repository.dispatched_communications(session, tenant, data.dispatch_ids)
    listed = ",".join(built[i] for i in dict.fromkeys(data.dispatch_ids) if i in built)
    return Response('{"communications":[' + listed + "]}", media_type="application/json")
