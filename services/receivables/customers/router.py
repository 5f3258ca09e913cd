import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from services.receivables.customers import repository, service
from services.receivables.customers.auth import CustomerDelete, CustomerRead, CustomerWrite
from services.receivables.customers.schemas import CustomerCreate, CustomerFilters, CustomerOut, CustomerUpdate
from services.receivables.exports import repository as exports
from services.receivables.exports.responses import FormatParam, export, export_responses
from services.receivables.exports.tables import CUSTOMERS, customer_row
from services.receivables.exports.writers import ExportFormat
from services.receivables.tenant_settings.repository import load_profile
from shared.db import EngineDep, PgPoolDep, SessionDep
from shared.pagination import Page, PageDep, make_page
from shared.problems import NotFound, problem_responses
from shared.tenant_users import TenantUsersDep

router = APIRouter(prefix="/v1/customers", tags=["customers"], responses=problem_responses(401, 403, 422))


@router.post("", response_model=CustomerOut, status_code=status.HTTP_201_CREATED, responses=problem_responses(409, 503))
async def create_customer(
    identity: CustomerWrite, data: CustomerCreate, session: SessionDep, gateway: TenantUsersDep
) -> CustomerOut:
    """Create a customer. `external_id` is the ERP's key and must be unique in the tenant."""
    customer = await service.create_customer(session, identity.tenant_id, data, gateway)
    return CustomerOut.model_validate(customer)


@router.get("", response_model=Page[CustomerOut])
async def list_customers(
    identity: CustomerRead, session: SessionDep, page: PageDep, filters: Annotated[CustomerFilters, Query()]
) -> dict[str, Any]:
    """Customers by name; filter by collector, advisor, segment, tag, VIP, risk (the ERP's or the computed one),
    overdue invoices, or search text."""
    today = (await load_profile(session, identity.tenant_id)).today() if filters.has_overdue is not None else None
    rows = await repository.list_customers(
        session, identity.tenant_id, limit=page.limit, after=page.cursor, filters=filters, today=today
    )
    return make_page(rows, page.limit, key=lambda r: [r.name, r.id], item=CustomerOut.model_validate)


@router.get("/export", response_class=Response, responses=export_responses("The customers", CUSTOMERS))
async def export_customers(
    identity: CustomerRead,
    session: SessionDep,
    engine: EngineDep,
    filters: Annotated[CustomerFilters, Query()],
    export_format: FormatParam = ExportFormat.CSV,
) -> Response:
    """Every customer the list's filters select (the list's order, no pages) as CSV or XLSX, for spreadsheets:
    contacts in one column per channel."""
    today = (await load_profile(session, identity.tenant_id)).today()
    query = exports.customers_query(identity.tenant_id, filters, today)
    return await export(CUSTOMERS, export_format, exports.batches(engine, query, customer_row), today)


@router.get("/{customer_id}", response_model=CustomerOut, responses=problem_responses(404))
async def get_customer(identity: CustomerRead, customer_id: uuid.UUID, pool: PgPoolDep) -> dict[str, Any]:
    """One customer (the API's hottest read: straight asyncpg on this path)."""
    row = await repository.read_customer(pool, identity.tenant_id, customer_id)
    if row is None:
        raise NotFound("Customer not found")
    return dict(row)


@router.patch("/{customer_id}", response_model=CustomerOut, responses=problem_responses(404, 409, 503))
async def update_customer(
    identity: CustomerWrite, customer_id: uuid.UUID, data: CustomerUpdate, session: SessionDep, gateway: TenantUsersDep
) -> CustomerOut:
    """Change some fields of a customer; fields left out stay as they are."""
    return CustomerOut.model_validate(
        await service.update_customer(session, identity.tenant_id, customer_id, data, gateway)
    )


@router.delete("/{customer_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(404))
async def delete_customer(identity: CustomerDelete, customer_id: uuid.UUID, session: SessionDep) -> Response:
    """Remove a customer from lists and dunning; its history is kept."""
    await service.delete_customer(session, identity.tenant_id, customer_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
