"""Unsubscribe links, public at the gateway under ``/webhooks/messaging/unsubscribe/...``: the link in a message
carries a token we signed (``optouts.rules.unsubscribe_token``); the page asks to confirm, the confirmation (or a
mail client's one-click unsubscribe) records the opt-out."""

import html

from fastapi import APIRouter, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import HTMLResponse, Response

from messaging_service.delivery.suppressions import OPT_OUT, suppress
from messaging_service.models import Message
from messaging_service.optouts import repository
from messaging_service.optouts.rules import read_unsubscribe_token
from messaging_service.tenant_settings import repository as tenant_settings_repository
from shared.db import SessionDep
from shared.problems import NotFound

router = APIRouter(prefix="/webhooks/messaging", include_in_schema=False)

PAGES = {
    "es": (
        "Dejar de recibir mensajes",
        "¿Confirma que no desea recibir más mensajes de {company} en {address}?",
        "Confirmar",
        "Listo: no enviaremos más mensajes de {company} a {address} por este medio.",
    ),
    "en": (
        "Unsubscribe",
        "Do you confirm you no longer want messages from {company} at {address}?",
        "Confirm",
        "Done: {company} will send no more messages to {address} on this channel.",
    ),
    "pt": (
        "Cancelar mensagens",
        "Confirma que não deseja mais receber mensagens de {company} em {address}?",
        "Confirmar",
        "Pronto: {company} não enviará mais mensagens para {address} por este canal.",
    ),
}


def _page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title>'
        '<meta name="viewport" content="width=device-width"></head>'
        f'<body style="font-family:Arial,sans-serif;max-width:36em;margin:3em auto">{body}</body></html>'
    )


async def _unsubscribe_target(request: Request, session: AsyncSession, token: str) -> tuple[Message, dict[str, str]]:
    message_id = read_unsubscribe_token(request.app.state.settings.link_secret(), token)
    # The link carries the message's id alone (links already sent stay valid): found across tenants by its id.
    message = await repository.message_by_id(session, message_id) if message_id else None
    if message is None:
        raise NotFound("This link is not valid")
    tenant = await tenant_settings_repository.load(session, message.tenant_id)
    language = message.language if message.language in PAGES else "es"
    company = (((tenant.profile or {}).get("company") or {}).get("display_name") or tenant.name) if tenant else ""
    words = {"language": language, "company": html.escape(company or ""), "address": html.escape(message.to_address)}
    return message, words


@router.get("/unsubscribe/{token}")
async def unsubscribe_page(request: Request, token: str, session: SessionDep) -> Response:
    """The link in a message: a page asking to confirm (a link scanner following it unsubscribes nobody)."""
    _, words = await _unsubscribe_target(request, session, token)
    title, question, button, _ = PAGES[words["language"]]
    return _page(
        title,
        f"<h1>{title}</h1><p>{question.format(**words)}</p>"
        f'<form method="post"><button type="submit">{button}</button></form>',
    )


@router.post("/unsubscribe/{token}")
async def unsubscribe(request: Request, token: str, session: SessionDep) -> Response:
    """The confirmation, or a mail client's one-click unsubscribe (RFC 8058): records the opt-out."""
    target, words = await _unsubscribe_target(request, session, token)
    await suppress(
        session,
        target.tenant_id,
        kind=OPT_OUT,
        channel=target.channel,
        address=target.to_address,
        customer_id=target.customer_id,
        source="unsubscribe_link",
        reason="unsubscribe link",
    )
    title, _, _, done = PAGES[words["language"]]
    return _page(title, f"<h1>{title}</h1><p>{done.format(**words)}</p>")
