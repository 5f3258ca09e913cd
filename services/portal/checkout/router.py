"""Pay online (issue 17): the debtor's pay form and return page, and the provider's signed notifications (a
machine's route: problem+json, see ``pages/errors.py``)."""

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from services.portal.checkout import repository, service
from services.portal.checkout.client import PaymentProviderError
from services.portal.checkout.rules import (
    ChoiceProblem,
    SignatureCheck,
    choose,
    payable_lines,
    shown_state,
    verify_signature,
)
from services.portal.pages.rendering import page, texts
from services.portal.pages.service import Position, load_position
from services.portal.settings import PortalSettings
from services.portal.upstream import UpstreamDep
from services.portal.visits.auth import FormVisit, PageVisit
from services.portal.visits.service import Visit, request_address
from shared.db import SessionDep
from shared.problems import NotFound, Problem

log = structlog.get_logger()

router = APIRouter(prefix="/portal", include_in_schema=False)


class SignatureRefused(Problem):
    status, slug, title = 401, "invalid-signature", "The notification's signature is not valid"


def _pay_form(
    request: Request,
    visit: Visit,
    position: Position,
    *,
    chosen: set[str] | None = None,
    error: str | None = None,
    provider_error: bool = False,
    status_code: int = 200,
) -> HTMLResponse:
    payable = payable_lines(position.statement["invoices"])
    return page(
        request,
        "pay.html",
        position.language,
        visit=visit,
        p=position,
        payable=payable,
        chosen=chosen or set(),
        error=error,
        provider_error=provider_error,
        status_code=status_code,
    )


async def _position(request: Request, visit: Visit, upstream: UpstreamDep) -> Position:
    if not visit.settings.pay_online:
        raise NotFound("The tenant does not take payments online")
    return await load_position(upstream, visit, request.headers.get("accept-language"))


@router.get("/{token}/pay", response_class=HTMLResponse)
async def pay_form(request: Request, visit: PageVisit, upstream: UpstreamDep) -> Response:
    """The open invoices to choose from, each with its open amount."""
    return _pay_form(request, visit, await _position(request, visit, upstream))


@router.post("/{token}/pay")
async def pay(
    request: Request,
    visit: FormVisit,
    upstream: UpstreamDep,
    session: SessionDep,
    invoice_ids: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """A checkout at the provider for the chosen invoices; the browser goes to its page."""
    position = await _position(request, visit, upstream)
    posted = invoice_ids or []
    choice = choose(payable_lines(position.statement["invoices"]), posted)
    words = texts(position.language)
    if isinstance(choice, ChoiceProblem):
        error = words[f"pay_error_{choice.value}"]
        return _pay_form(request, visit, position, chosen=set(posted), error=error, status_code=422)
    customer = await upstream.customer(visit.tenant_id, visit.customer_id)
    settings: PortalSettings = request.app.state.settings
    try:
        init_point = await service.start(
            session,
            service.checkout_client(request),
            settings,
            visit,
            choice,
            item_title=words["pay_item"],
            email=service.payer_email(customer),
        )
    except PaymentProviderError as exc:
        log.warning("psp_preference_failed", tenant_id=str(visit.tenant_id), error=str(exc))
        # 200, not 502: the gateway replaces a service's 5xx that is not problem+json with its own problem.
        return _pay_form(request, visit, position, chosen=set(posted), provider_error=True)
    return RedirectResponse(init_point, status_code=303)


@router.get("/{token}/pay/return", response_class=HTMLResponse)
async def pay_return(
    request: Request,
    visit: PageVisit,
    upstream: UpstreamDep,
    session: SessionDep,
    checkout: str = "",
    payment_id: str | None = None,
) -> Response:
    """Where the provider sends the browser back: the checkout's state. When the provider names a payment the
    notification has not brought yet, it is fetched and applied here (the fetched payment, never the query)."""
    checkout_id = service.as_uuid(checkout)
    row = await repository.customers_checkout(session, visit.tenant_id, visit.customer_id, checkout_id or uuid.uuid4())
    if row is None:
        raise NotFound("No such checkout")
    if row.state in ("created", "pending") and payment_id:
        row = await service.settle_on_return(
            session, upstream, service.checkout_client(request), row, payment_id, visit.address, visit.user_agent
        )
    position = await load_position(upstream, visit, request.headers.get("accept-language"))
    state = shown_state(row.state)
    return page(request, "pay_result.html", position.language, visit=visit, p=position, checkout=row, state=state)


@router.post("/psp/notifications")
async def psp_notification(request: Request, upstream: UpstreamDep, session: SessionDep) -> JSONResponse:
    """The provider's word that a payment changed: its signature checked, then the payment fetched and applied."""
    settings: PortalSettings = request.app.state.settings
    data_id = request.query_params.get("data.id") or ""
    check = verify_signature(
        header=request.headers.get("x-signature"),
        request_id=request.headers.get("x-request-id"),
        data_id=data_id,
        secret=settings.psp_webhook_secret,
        now=datetime.now(UTC),
    )
    if check is not SignatureCheck.VALID:
        log.warning(
            "psp_notification_refused", reason=check.value, data_id=data_id[:100], address=request_address(request)
        )
        raise SignatureRefused(f"x-signature: {check.value}", reason=check.value)
    answer: dict[str, Any] = {"received": True}
    if request.query_params.get("type") != "payment":
        return JSONResponse(answer)  # merchant orders and the like: nothing for us
    payment = await service.checkout_client(request).fetch_payment(data_id)
    row = await service.apply_payment(
        session, upstream, payment, address=request_address(request), user_agent=request.headers.get("user-agent")
    )
    if row is not None:
        answer |= {"checkout_id": str(row.id), "state": row.state}
    return JSONResponse(answer)
