from typing import Any

from fastapi import APIRouter, Request

from services.receivables.ingest import service
from services.receivables.ingest.auth import ImportWrite
from services.receivables.ingest.schemas import CustomerBatch, IngestResult, InvoiceBatch, PaymentBatch
from shared.db import SessionDep
from shared.problems import problem_responses
from shared.tenant_users import TenantUsersDep

router = APIRouter(prefix="/v1/ingest", tags=["ingest"], responses=problem_responses(401, 403, 422))


def _json_body(model: type) -> dict[str, Any]:
    """Document the body in OpenAPI; the route reads it itself, so one bad row cannot fail the whole request."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}},
        }
    }


INGEST_MODELS = (CustomerBatch, InvoiceBatch, PaymentBatch)
ROWS_RULES = (
    "Up to 10,000 rows per request, keyed by `external_id`. Each row is validated on its own: valid rows are "
    "stored, each rejected row is listed with its index, field and reason. Sending the same batch twice changes "
    "nothing and announces nothing; a row with a newer `version` (or without versions, other content) updates."
)


@router.post(
    "/customers",
    response_model=IngestResult,
    openapi_extra=_json_body(CustomerBatch),
    description="Create or update customers in bulk. " + ROWS_RULES,
    responses=problem_responses(503),
)
async def ingest_customers(
    identity: ImportWrite, request: Request, session: SessionDep, gateway: TenantUsersDep
) -> IngestResult:
    body = await request.body()
    max_rows = request.app.state.settings.ingest_max_rows
    return await service.ingest_customers(session, identity, body, max_rows, gateway)


@router.post(
    "/invoices",
    response_model=IngestResult,
    openapi_extra=_json_body(InvoiceBatch),
    description="Create or update invoices in bulk; `customer_external_id` names the customer. A zero open amount "
    "is paid; `status` void / written_off closes an invoice. " + ROWS_RULES,
)
async def ingest_invoices(identity: ImportWrite, request: Request, session: SessionDep) -> IngestResult:
    body = await request.body()
    return await service.ingest_invoices(session, identity, body, request.app.state.settings.ingest_max_rows)


@router.post(
    "/payments",
    response_model=IngestResult,
    openapi_extra=_json_body(PaymentBatch),
    description="Apply payments in bulk: to the invoices named, else oldest first; over-payments are credit; "
    "`reversed: true` reverses a payment sent before. " + ROWS_RULES,
)
async def ingest_payments(identity: ImportWrite, request: Request, session: SessionDep) -> IngestResult:
    body = await request.body()
    return await service.ingest_payments(session, identity, body, request.app.state.settings.ingest_max_rows)


@router.post(
    "/customers.csv",
    response_model=IngestResult,
    responses=problem_responses(503),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {"schema": {"type": "string", "example": "external_id;name;email\nC-1;ACME;a@b.c"}}
            },
        }
    },
)
async def ingest_customer_file(
    identity: ImportWrite, request: Request, session: SessionDep, gateway: TenantUsersDep
) -> IngestResult:
    """Upload the customer input file (CSV, the body itself): `external_id`, `name`, `tax_id`, `country`,
    `timezone`, `language`, `segment`, `vip`, `risk_level`, `tags` (`|`-separated), `email`, `sms_phone`,
    `whatsapp`, `collector_email`, then optional at the end (seed 002) `advisor_first_name`, `advisor_last_name`,
    `advisor_phone`, `advisor_whatsapp`, `advisor_email`, `supervisor_first_name`, `supervisor_last_name`,
    `supervisor_phone`, `supervisor_email`. Unknown columns are ignored and listed in `ignored_columns`; rows are
    validated one by one as in `POST /v1/ingest/customers`, at most 10,000 rows a file as there. UTF-8 unless the
    `Content-Type` declares `charset=` `iso-8859-1` or `windows-1252`; a byte that is not of it is a 422 naming
    its line."""
    body = await request.body()
    charset = request.headers.get("content-type", "").partition("charset=")[2].split(";")[0].strip(' "') or None
    max_rows = request.app.state.settings.ingest_max_rows
    return await service.ingest_customer_file(session, identity, body, max_rows, gateway, charset)
