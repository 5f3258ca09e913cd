"""``/v1/charges``: late charges (issue 19), documents of their own beside the invoices; dunning assesses them."""

import dataclasses
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.receivables.charges import repository, service
from services.receivables.charges.auth import ChargeInvoice, ChargeRead, ChargeWaive
from services.receivables.charges.schemas import ChargeInvoicedIn, ChargeOut, ChargeWaiveIn
from shared.contracts.common import ChargeStatus
from shared.db import SessionDep
from shared.pagination import Page, PageDep, make_page
from shared.problems import NotFound, problem_responses

router = APIRouter(prefix="/v1/charges", tags=["charges"], responses=problem_responses(401, 403, 422))


def _out(row: repository.ChargeRow) -> ChargeOut:
    return ChargeOut.model_validate(dataclasses.asdict(row))


@router.get("", response_model=Page[ChargeOut])
async def list_charges(
    identity: ChargeRead,
    session: SessionDep,
    page: PageDep,
    customer_id: Annotated[uuid.UUID | None, Query(description="Only this customer's")] = None,
    invoice_id: Annotated[uuid.UUID | None, Query(description="Only this invoice's")] = None,
    charge_status: Annotated[ChargeStatus | None, Query(alias="status", description="Only in this status")] = None,
) -> dict[str, Any]:
    """Late charges, newest first: open (owed, shown in messages and statements), waived or invoiced."""
    rows = await repository.list_charges(
        session,
        identity.tenant_id,
        customer_id=customer_id,
        invoice_id=invoice_id,
        status=charge_status.value if charge_status else None,
        limit=page.limit,
        after=page.cursor,
    )
    return make_page(rows, page.limit, key=lambda r: [r.created_at.isoformat(), str(r.id)], item=dataclasses.asdict)


@router.get("/{charge_id}", response_model=ChargeOut, responses=problem_responses(404))
async def get_charge(identity: ChargeRead, charge_id: uuid.UUID, session: SessionDep) -> ChargeOut:
    row = await repository.get_charge(session, identity.tenant_id, charge_id)
    if row is None:
        raise NotFound("Charge not found")
    return _out(row)


@router.post("/{charge_id}/waive", response_model=ChargeOut, responses=problem_responses(404, 409))
async def waive_charge(
    identity: ChargeWaive, charge_id: uuid.UUID, data: ChargeWaiveIn, session: SessionDep
) -> ChargeOut:
    """Forgive an open charge, with a reason (managers): it leaves messages and statements; announced
    (`charge.waived`) and logged on the customer's timeline. 409 when it is no longer open."""
    return _out(await service.waive(session, identity, charge_id, data.reason))


@router.post("/{charge_id}/invoiced", response_model=ChargeOut, responses=problem_responses(404, 409))
async def mark_charge_invoiced(
    identity: ChargeInvoice, charge_id: uuid.UUID, data: ChargeInvoicedIn, session: SessionDep
) -> ChargeOut:
    """The ERP invoiced an open charge (its document, e.g. a debit note, carries the debt from now on): the charge
    is closed; announced (`charge.invoiced`) and logged. 409 when it is no longer open."""
    return _out(await service.mark_invoiced(session, identity, charge_id, data.erp_document))
