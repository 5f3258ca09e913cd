import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from services.receivables.exports import repository as exports
from services.receivables.exports.responses import FormatParam, export, export_responses
from services.receivables.exports.tables import INVOICES, invoice_row
from services.receivables.exports.writers import ExportFormat
from services.receivables.external_ids.service import fields_named_as_sent, resolved
from services.receivables.invoices import repository, service
from services.receivables.invoices.auth import InvoiceRead, InvoiceStatusWrite, InvoiceWrite
from services.receivables.invoices.schemas import (
    InvoiceCreate,
    InvoiceFilters,
    InvoiceOut,
    InvoiceUpdate,
    StatusChangeIn,
)
from services.receivables.tenant_settings.repository import load_profile
from services.receivables.timeline.repository import invoice_history
from services.receivables.timeline.schemas import HistoryEntryOut
from shared.db import EngineDep, SessionDep
from shared.pagination import Page, PageDep, make_page
from shared.problems import NotFound, problem_responses

router = APIRouter(prefix="/v1/invoices", tags=["invoices"], responses=problem_responses(401, 403, 422))


@router.post("", response_model=InvoiceOut, status_code=status.HTTP_201_CREATED, responses=problem_responses(409))
async def create_invoice(identity: InvoiceWrite, data: InvoiceCreate, session: SessionDep) -> InvoiceOut:
    """Create one invoice (ERPs push many at once with `POST /v1/ingest/invoices`). A zero open amount is paid.
    The customer may be named by the ERP's id instead: `customer_external_id`."""
    with fields_named_as_sent(data):
        row = await service.create_invoice(session, identity, await resolved(session, identity.tenant_id, data))
    return service.invoice_out(row, (await load_profile(session, identity.tenant_id)).today())


@router.get("", response_model=Page[InvoiceOut])
async def list_invoices(
    identity: InvoiceRead, session: SessionDep, page: PageDep, filters: Annotated[InvoiceFilters, Query()]
) -> dict[str, Any]:
    """Invoices by due date; filter by customer, status (repeatable), overdue, currency, kind, collector."""
    today = (await load_profile(session, identity.tenant_id)).today()
    rows = await repository.list_invoices(
        session, identity.tenant_id, limit=page.limit, after=page.cursor, today=today, filters=filters
    )
    return make_page(rows, page.limit, key=lambda r: [r.due_date, r.id], item=lambda r: service.invoice_out(r, today))


@router.get("/export", response_class=Response, responses=export_responses("The invoices", INVOICES))
async def export_invoices(
    identity: InvoiceRead,
    session: SessionDep,
    engine: EngineDep,
    filters: Annotated[InvoiceFilters, Query()],
    export_format: FormatParam = ExportFormat.CSV,
) -> Response:
    """Every invoice the list's filters select (the list's order, no pages) as CSV or XLSX, for spreadsheets,
    with the customer's external id and name."""
    today = (await load_profile(session, identity.tenant_id)).today()
    query = exports.invoices_query(identity.tenant_id, filters, today)
    return await export(INVOICES, export_format, exports.batches(engine, query, lambda r: invoice_row(r, today)), today)


@router.get("/{invoice_id}", response_model=InvoiceOut, responses=problem_responses(404))
async def get_invoice(identity: InvoiceRead, invoice_id: uuid.UUID, session: SessionDep) -> InvoiceOut:
    row = await repository.get_invoice(session, identity.tenant_id, invoice_id)
    if row is None:
        raise NotFound("Invoice not found")
    return service.invoice_out(row, (await load_profile(session, identity.tenant_id)).today())


@router.patch("/{invoice_id}", response_model=InvoiceOut, responses=problem_responses(404))
async def update_invoice(
    identity: InvoiceWrite, invoice_id: uuid.UUID, data: InvoiceUpdate, session: SessionDep
) -> InvoiceOut:
    """Correct the number, dates or document link; the change is kept in the invoice's history."""
    row = await service.update_invoice(session, identity, invoice_id, data)
    return service.invoice_out(row, (await load_profile(session, identity.tenant_id)).today())


@router.post("/{invoice_id}/status", response_model=InvoiceOut, responses=problem_responses(404, 409))
async def change_invoice_status(
    identity: InvoiceStatusWrite, invoice_id: uuid.UUID, data: StatusChangeIn, session: SessionDep
) -> InvoiceOut:
    """Move the invoice in its status machine. Allowed: between `normal`, `promise_to_pay` (promised date, not in
    the past), `payment_reported` (reported date) and `dispute` (area), and from those to `written_off` or
    `void`. `paid` comes only from payments; `paid`, `written_off` and `void` are final. Others answer 409."""
    row = await service.change_status(session, identity, invoice_id, data)
    return service.invoice_out(row, (await load_profile(session, identity.tenant_id)).today())


@router.get("/{invoice_id}/history", response_model=Page[HistoryEntryOut], responses=problem_responses(404))
async def get_invoice_history(
    identity: InvoiceRead, invoice_id: uuid.UUID, session: SessionDep, params: PageDep
) -> dict[str, Any]:
    """Every change of the invoice, oldest first: status changes (who, when, why), corrections, payments."""
    if await repository.get_invoice(session, identity.tenant_id, invoice_id) is None:
        raise NotFound("Invoice not found")
    rows = await invoice_history(session, identity.tenant_id, invoice_id, limit=params.limit, after=params.cursor)
    return make_page(rows, params.limit, key=lambda r: [r.occurred_at, r.id])
