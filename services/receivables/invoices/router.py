import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from services.receivables.invoices import repository, service
from services.receivables.invoices.schemas import InvoiceCreate, InvoiceOut, InvoiceUpdate, StatusChangeIn
from services.receivables.tenants.repository import load_profile
from services.receivables.timeline.repository import invoice_history
from services.receivables.timeline.schemas import HistoryEntryOut
from shared.contracts.common import InvoiceKind, InvoiceStatus
from shared.db import EngineDep, SessionDep
from shared.identity import ADMIN, COLLECTOR, INTEGRATION, MANAGER, READERS, SUPERVISOR, Identity, require_roles
from shared.pagination import Page, PageDep, make_page
from shared.problems import NotFound, problem_responses

router = APIRouter(prefix="/v1/invoices", tags=["invoices"], responses=problem_responses(401, 403, 422))

Reader = Annotated[Identity, Depends(require_roles(*READERS))]
Writer = Annotated[Identity, Depends(require_roles(ADMIN, MANAGER, SUPERVISOR, INTEGRATION))]
StatusWriter = Annotated[Identity, Depends(require_roles(ADMIN, MANAGER, SUPERVISOR, COLLECTOR, INTEGRATION))]


@router.post("", response_model=InvoiceOut, status_code=status.HTTP_201_CREATED, responses=problem_responses(409))
async def create_invoice(identity: Writer, data: InvoiceCreate, session: SessionDep) -> dict:
    """Create one invoice (ERPs push many at once with `POST /v1/ingest/invoices`). A zero open amount is paid."""
    row = await service.create_invoice(session, identity, data)
    return service.invoice_out(row, (await load_profile(session, identity.tenant_id)).today())


@router.get("", response_model=Page[InvoiceOut])
async def list_invoices(
    identity: Reader,
    engine: EngineDep,
    page: PageDep,
    customer_id: uuid.UUID | None = None,
    invoice_status: Annotated[list[InvoiceStatus] | None, Query(alias="status")] = None,
    overdue: Annotated[bool | None, Query(description="Owed and past due at the tenant's today")] = None,
    currency: Annotated[str | None, Query(min_length=3, max_length=3)] = None,
    kind: InvoiceKind | None = None,
    collector_id: uuid.UUID | None = None,
    due_from: date | None = None,
    due_to: date | None = None,
    q: Annotated[str | None, Query(max_length=100, description="Search in the number and external id")] = None,
) -> dict:
    """Invoices by due date; filter by customer, status (repeatable), overdue, currency, kind, collector."""
    async with engine.connect() as conn:
        today = (await load_profile(conn, identity.tenant_id)).today()
        rows = await repository.list_invoices(
            conn,
            identity.tenant_id,
            limit=page.limit,
            after=page.cursor,
            today=today,
            customer_id=customer_id,
            statuses=[s.value for s in invoice_status] if invoice_status else None,
            overdue=overdue,
            currency=currency,
            kind=kind,
            collector_id=collector_id,
            due_from=due_from,
            due_to=due_to,
            q=q,
        )
    return make_page(
        rows, page.limit, key=lambda r: [r["due_date"], r["id"]], item=lambda r: service.invoice_out(r, today)
    )


@router.get("/{invoice_id}", response_model=InvoiceOut, responses=problem_responses(404))
async def get_invoice(identity: Reader, invoice_id: uuid.UUID, engine: EngineDep) -> dict:
    async with engine.connect() as conn:
        row = await repository.get_invoice(conn, identity.tenant_id, invoice_id)
        if row is None:
            raise NotFound("Invoice not found")
        return service.invoice_out(row, (await load_profile(conn, identity.tenant_id)).today())


@router.patch("/{invoice_id}", response_model=InvoiceOut, responses=problem_responses(404))
async def update_invoice(identity: Writer, invoice_id: uuid.UUID, data: InvoiceUpdate, session: SessionDep) -> dict:
    """Correct the number, dates or document link; the change is kept in the invoice's history."""
    row = await service.update_invoice(session, identity, invoice_id, data)
    return service.invoice_out(row, (await load_profile(session, identity.tenant_id)).today())


@router.post("/{invoice_id}/status", response_model=InvoiceOut, responses=problem_responses(404, 409))
async def change_invoice_status(
    identity: StatusWriter, invoice_id: uuid.UUID, data: StatusChangeIn, session: SessionDep
) -> dict:
    """Move the invoice in its status machine. Allowed: between `normal`, `promise_to_pay` (promised date, not in
    the past), `payment_reported` (reported date) and `dispute` (area), and from those to `written_off` or
    `void`. `paid` comes only from payments; `paid`, `written_off` and `void` are final. Others answer 409."""
    row = await service.change_status(session, identity, invoice_id, data)
    return service.invoice_out(row, (await load_profile(session, identity.tenant_id)).today())


@router.get("/{invoice_id}/history", response_model=Page[HistoryEntryOut], responses=problem_responses(404))
async def get_invoice_history(identity: Reader, invoice_id: uuid.UUID, engine: EngineDep, params: PageDep) -> dict:
    """Every change of the invoice, oldest first: status changes (who, when, why), corrections, payments."""
    async with engine.connect() as conn:
        if await repository.get_invoice(conn, identity.tenant_id, invoice_id) is None:
            raise NotFound("Invoice not found")
        rows = await invoice_history(conn, identity.tenant_id, invoice_id, limit=params.limit, after=params.cursor)
    return make_page(rows, params.limit, key=lambda r: [r["occurred_at"], r["id"]], item=dict)
