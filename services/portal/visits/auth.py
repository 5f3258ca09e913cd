"""The debtor's dependencies: a page view (``PageVisit``) and a form post (``FormVisit``: the form token checked
against the nonce cookie, the link's action limit). The link's token is the only credential: no identity is
forwarded by the gateway for ``/portal/``."""

from typing import Annotated

from fastapi import Depends, Form, Request

from services.portal.visits.rules import form_token_matches
from services.portal.visits.service import (
    NONCE_COOKIE,
    FormExpired,
    Visit,
    check_action_limit,
    forms_secret,
    open_visit,
)
from shared.db import SessionDep, unit_of_work


async def page_visit(request: Request, token: str) -> Visit:
    """A transaction of its own, committed before the page asks receivables and messaging: no pooled connection
    (nor the link's row, whose opens it counts) is held while they answer."""
    async with unit_of_work(request.app.state.sessionmaker) as session:
        return await open_visit(request, session, token, page_view=True)


async def form_visit(request: Request, token: str, session: SessionDep, csrf: Annotated[str, Form()] = "") -> Visit:
    visit = await open_visit(request, session, token, page_view=False)
    nonce = request.cookies.get(NONCE_COOKIE)
    if not form_token_matches(forms_secret(request.app.state.settings), visit.link_id, nonce, csrf):
        raise FormExpired()
    await check_action_limit(request, visit)
    return visit


PageVisit = Annotated[Visit, Depends(page_visit)]
FormVisit = Annotated[Visit, Depends(form_visit)]
