import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from services.receivables.statements.auth import StatementRead
from services.receivables.statements.render import render_statement, render_statement_pdf
from services.receivables.statements.schemas import StatementOut
from services.receivables.statements.service import build_statement
from services.receivables.statements.tenant import MessagingProfilesDep
from services.receivables.tenant_settings.repository import load_profile
from shared.db import EngineDep, SessionDep
from shared.identity import Identity
from shared.problems import problem_responses
from shared.statement import language_of

router = APIRouter(prefix="/v1/customers", tags=["statements"], responses=problem_responses(401, 403, 404, 422))

AsOf = Annotated[date | None, Query(description="Days overdue counted at this date (default: the tenant's today)")]
Language = Annotated[str | None, Query(pattern="^(es|en|pt)$", description="Default: the customer's language")]


@router.get("/{customer_id}/statement", response_model=StatementOut)
async def get_statement(
    identity: StatementRead, customer_id: uuid.UUID, session: SessionDep, as_of: AsOf = None
) -> dict[str, Any]:
    """The account statement: open invoices with days overdue and aging bucket, the payments received on them,
    credits (credit notes and over-payments), aging and totals per currency (never added across currencies), what
    is to pay now (overdue and demanded, net of credits), and the customer's contacts."""
    return await build_statement(session, identity.tenant_id, customer_id, as_of)


async def _statement(
    identity: Identity, customer_id: uuid.UUID, engine: AsyncEngine, as_of: date | None, language: str | None
) -> tuple[dict[str, Any], str]:
    # A session of its own, closed before the page or PDF is rendered: no connection is held meanwhile.
    async with AsyncSession(engine) as session:
        profile = await load_profile(session, identity.tenant_id)
        statement = await build_statement(session, identity.tenant_id, customer_id, as_of, profile)
    return statement, language_of(language, statement["customer"]["language"], profile.language)


STATEMENT_HTML = (
    '<!DOCTYPE html><html lang="es"><head><meta charset="utf-8"><title>Estado de cuenta: Ferretería Los Andes '
    "S.R.L.</title></head><body><h1>Estado de cuenta al 16 de marzo de 2026</h1><table><tr><td>A-0001-00000451</td>"
    "<td>vencida el 3 mar 2026</td><td>$ 85.000,00</td></tr></table></body></html>"
)


@router.get(
    "/{customer_id}/statement.html",
    response_class=HTMLResponse,
    responses={200: {"content": {"text/html": {"example": STATEMENT_HTML}}, "description": "A printable HTML page"}},
)
async def get_statement_html(
    identity: StatementRead,
    customer_id: uuid.UUID,
    engine: EngineDep,
    profiles: MessagingProfilesDep,
    as_of: AsOf = None,
    language: Language = None,
) -> HTMLResponse:
    """The same statement as a printable HTML page, in the customer's language, money and dates localized, with
    the tenant's identity, payment instructions and how to notify a payment (its messaging profile)."""
    statement, chosen = await _statement(identity, customer_id, engine, as_of, language)
    return HTMLResponse(render_statement(statement, chosen, await profiles.profile(identity.tenant_id)))


@router.get(
    "/{customer_id}/statement.pdf",
    response_class=Response,
    responses={
        200: {
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            "description": "The statement as a PDF document (the same page as statement.html)",
        }
    },
)
async def get_statement_pdf(
    identity: StatementRead,
    customer_id: uuid.UUID,
    engine: EngineDep,
    profiles: MessagingProfilesDep,
    as_of: AsOf = None,
    language: Language = None,
) -> Response:
    """The statement as PDF (issue 12): the tenant's identity and tax data, the customer, every open item with
    credits and payments, aging, totals, payment instructions and how to notify a payment; es/en/pt. Rendered in
    a worker thread, so the service keeps answering meanwhile."""
    statement, chosen = await _statement(identity, customer_id, engine, as_of, language)
    pdf = await render_statement_pdf(statement, chosen, await profiles.profile(identity.tenant_id))
    filename = f"statement-{statement['customer']['external_id'] or customer_id}-{statement['as_of'].isoformat()}.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{_safe(filename)}"'},
    )


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)
