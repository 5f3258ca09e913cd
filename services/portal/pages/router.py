"""The customer's page (public, under ``/portal/``; the link's token is the only credential): the open position,
the PDF statement, the stylesheet. Each action has its own package and routes."""

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from services.portal.audit import service as audit
from services.portal.audit.schemas import ActionKind
from services.portal.pages.rendering import STATIC, page
from services.portal.pages.service import load_position
from services.portal.upstream import UpstreamDep
from services.portal.visits.auth import PageVisit
from services.portal.visits.rules import known_language
from shared.db import SessionDep
from shared.problems import NotFound
from shared.words import whatsapp_link

router = APIRouter(prefix="/portal", include_in_schema=False)

STATIC_FILES = {path.name: path for path in Path(STATIC).iterdir() if path.is_file()}
MEDIA_TYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}


@router.get("/static/{name}")
async def static_file(name: str) -> FileResponse:
    path = STATIC_FILES.get(name)
    if path is None:
        raise NotFound("No such file")
    return FileResponse(path, media_type=MEDIA_TYPES.get(path.suffix, "application/octet-stream"))


@router.get("/{token}", response_class=HTMLResponse)
async def position_page(request: Request, visit: PageVisit, upstream: UpstreamDep, session: SessionDep) -> Response:
    """The customer's open position and what they can do about it."""
    position = await load_position(upstream, visit, request.headers.get("accept-language"))
    await audit.record(session, visit, ActionKind.OPENED, {"language": position.language})
    return page(request, "position.html", position.language, visit=visit, p=position, whatsapp_link=whatsapp_link)


@router.get("/{token}/statement.pdf")
async def statement_pdf(visit: PageVisit, upstream: UpstreamDep, session: SessionDep) -> Response:
    """The PDF statement receivables prints (building the statement itself), in the link's language, else the
    customer's: receivables' own default, so the position is not loaded here only to choose the language."""
    answer = await upstream.statement_pdf(visit.tenant_id, visit.customer_id, known_language(visit.link_language))
    await audit.record(session, visit, ActionKind.STATEMENT_DOWNLOADED, {})
    disposition = answer.headers.get("content-disposition", 'inline; filename="statement.pdf"')
    return Response(answer.content, media_type="application/pdf", headers={"Content-Disposition": disposition})
