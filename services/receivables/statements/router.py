import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse

from services.receivables.statements.render import render_statement
from services.receivables.statements.schemas import StatementOut
from services.receivables.statements.service import build_statement
from services.receivables.tenants.repository import load_profile
from shared.db import EngineDep
from shared.identity import READERS, Identity, require_roles
from shared.problems import problem_responses

router = APIRouter(prefix="/v1/customers", tags=["statements"], responses=problem_responses(401, 403, 404, 422))

Reader = Annotated[Identity, Depends(require_roles(*READERS))]
AsOf = Annotated[date | None, Query(description="Days overdue counted at this date (default: the tenant's today)")]


@router.get("/{customer_id}/statement", response_model=StatementOut)
async def get_statement(identity: Reader, customer_id: uuid.UUID, engine: EngineDep, as_of: AsOf = None) -> dict:
    """The account statement: open invoices with days overdue and aging bucket, credits (credit notes and
    over-payments), aging and totals per currency (never added across currencies), and the customer's contacts."""
    async with engine.connect() as conn:
        return await build_statement(conn, identity.tenant_id, customer_id, as_of)


@router.get(
    "/{customer_id}/statement.html",
    response_class=HTMLResponse,
    responses={200: {"content": {"text/html": {}}, "description": "A printable HTML page"}},
)
async def get_statement_html(
    identity: Reader,
    customer_id: uuid.UUID,
    engine: EngineDep,
    as_of: AsOf = None,
    language: Annotated[str | None, Query(pattern="^(es|en|pt)$", description="Default: the customer's")] = None,
) -> HTMLResponse:
    """The same statement as a printable HTML page, in the customer's language, money and dates localized."""
    async with engine.connect() as conn:
        statement = await build_statement(conn, identity.tenant_id, customer_id, as_of)
        tenant_language = (await load_profile(conn, identity.tenant_id)).language
    chosen = language or statement["customer"]["language"] or tenant_language
    return HTMLResponse(render_statement(statement, chosen))
