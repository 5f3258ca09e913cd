"""``/v1/portal-receipts/{id}``: the receipt a debtor uploaded with a reported payment, as it was stored (its
type read from its content when it arrived)."""

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.portal.receipts import repository
from services.portal.receipts.auth import ReceiptsRead
from services.portal.receipts.storage import StorageError, storage_for
from shared.db import SessionDep
from shared.problems import BadGateway, NotFound, problem_responses

BINARY = {"type": "string", "format": "binary"}

router = APIRouter(prefix="/v1/portal-receipts", tags=["portal"], responses=problem_responses(401, 403, 422))


def receipt_path(receipt_id: uuid.UUID) -> str:
    """Where the tenant's people read a receipt (through the gateway): the note of the reported payment says it."""
    return f"/v1/portal-receipts/{receipt_id}"


@router.get(
    "/{receipt_id}",
    response_class=Response,
    responses={
        200: {
            "content": {kind: {"schema": BINARY} for kind in ("application/pdf", "image/png", "image/jpeg")},
            "description": "The file, of the type its content showed when it arrived",
        },
        **problem_responses(404, 502),
    },
)
async def get_receipt(identity: ReceiptsRead, receipt_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    """The file a debtor uploaded (PDF, PNG or JPEG), for the collector who reconciles the reported payment."""
    row = await repository.get_receipt(session, identity.tenant_id, receipt_id)
    if row is None:
        raise NotFound("Receipt not found")
    try:
        content = await storage_for(request.app.state.settings, request.app.state.http).get(row.storage_key)
    except StorageError as exc:
        raise BadGateway("The receipt's storage could not give it back", service="storage") from exc
    extension = row.storage_key.rsplit(".", 1)[-1]
    disposition = f'inline; filename="receipt-{row.id}.{extension}"'
    return Response(
        content,
        media_type=row.content_type,
        headers={"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"},
    )
