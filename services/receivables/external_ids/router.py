"""The gateway's look-up of the ERP's ids (``ext:<external id>`` in a public path or filter), for every service:
receivables is the system of record of customers, invoices and payments."""

import uuid
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field

from services.receivables.external_ids.auth import ExternalIdRead
from services.receivables.external_ids.repository import ids_by_external_id
from shared.db import SessionDep

router = APIRouter(prefix="/internal/external-ids", include_in_schema=False)

ExternalId = Annotated[str, Field(min_length=1, max_length=100)]


class ExternalIds(BaseModel):
    """The ERP's ids to look up, per kind (a request names a few: its path and its filters)."""

    customer: list[ExternalId] = Field(default_factory=list, max_length=20)
    invoice: list[ExternalId] = Field(default_factory=list, max_length=20)
    payment: list[ExternalId] = Field(default_factory=list, max_length=20)


@router.post("")
async def look_up_external_ids(
    identity: ExternalIdRead, data: ExternalIds, session: SessionDep
) -> dict[str, dict[str, uuid.UUID]]:
    """``{kind: {external_id: id}}`` of those the caller's tenant has; the others are left out."""
    return {
        kind: await ids_by_external_id(session, identity.tenant_id, kind, getattr(data, kind))
        for kind in ("customer", "invoice", "payment")
    }
