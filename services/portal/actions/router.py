"""The debtor's actions (public, under ``/portal/{token}/``; the link's token is the credential, the form token
guards each post): GET shows the form, POST acts and shows what was done, or the form again with its errors."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile

from services.portal.actions import asks, service
from services.portal.actions.forms import Shown, answer
from services.portal.actions.schemas import (
    CallForm,
    DisputeForm,
    Form,
    OptOutForm,
    PlanForm,
    PromiseForm,
    ReportForm,
    form_values,
    read_form,
)
from services.portal.actions.service import Result, Words
from services.portal.pages.rendering import texts
from services.portal.pages.service import Position, load_position
from services.portal.receipts.storage import storage_for
from services.portal.settings import PortalSettings
from services.portal.upstream import Upstream, UpstreamDep
from services.portal.visits.auth import FormVisit, PageVisit
from services.portal.visits.service import Visit
from shared.db import SessionDep

router = APIRouter(prefix="/portal", include_in_schema=False)

F = TypeVar("F", bound=Form)
Act = Callable[[AsyncSession, Upstream, Visit, Position, F, Words], Awaitable[Result]]
RequestAct = Callable[[Request, AsyncSession, Upstream, Visit, Position, F, Words], Awaitable[Result]]


@dataclass(frozen=True)
class PortalAction(Generic[F]):
    """One of the debtor's actions: its page under ``/portal/{token}/<path>``, its form, and what posting it does
    (``doc``: what it becomes)."""

    name: str
    path: str
    form: type[F]
    act: RequestAct[F]
    doc: str


def without_request(act: Act[F]) -> RequestAct[F]:
    """An action that needs nothing of the request beyond its form."""

    async def acted(request: Request, s: AsyncSession, u: Upstream, v: Visit, p: Position, form: F, t: Words) -> Result:
        return await act(s, u, v, p, form, t)

    return acted


async def report_payment(
    request: Request, s: AsyncSession, u: Upstream, v: Visit, p: Position, form: ReportForm, t: Words
) -> Result:
    """The receipt comes with the form: read it within the size allowed (one byte more tells it is too big)."""
    settings: PortalSettings = request.app.state.settings
    upload = (await request.form()).get("receipt")
    content = await upload.read(settings.receipt_max_bytes + 1) if isinstance(upload, UploadFile) else b""
    filename = upload.filename if isinstance(upload, UploadFile) else None
    storage = storage_for(settings, request.app.state.http)
    return await service.report_payment(s, u, storage, v, p, form, content, filename, settings.receipt_max_bytes, t)


async def promise(
    request: Request, s: AsyncSession, u: Upstream, v: Visit, p: Position, form: PromiseForm, t: Words
) -> Result:
    return await service.promise(s, u, v, p, form)


ACTIONS: tuple[PortalAction[Any], ...] = (
    PortalAction(
        "report",
        "report",
        ReportForm,
        report_payment,
        "A payment made by transfer or deposit, with its receipt (seed 004) -> ``payment_reported`` (seed 000).",
    ),
    PortalAction(
        "promise",
        "promise",
        PromiseForm,
        promise,
        "A date within the tenant's horizon -> ``promise_to_pay`` and a confirmation message.",
    ),
    PortalAction(
        "dispute",
        "dispute",
        DisputeForm,
        without_request(service.dispute),
        "One invoice, a reason and a comment -> ``dispute`` with the area the reason maps to.",
    ),
    PortalAction(
        "call",
        "call",
        CallForm,
        without_request(asks.request_call),
        "A call inside the contact window -> a task for the customer's collector.",
    ),
    PortalAction(
        "opt_out",
        "opt-out",
        OptOutForm,
        without_request(asks.opt_out),
        "No more messages on a channel -> an opt-out in messaging for the customer's addresses on it.",
    ),
    PortalAction(
        "plan",
        "plan",
        PlanForm,
        without_request(asks.request_plan),
        "A plan within the tenant's rules -> a task for approval (no payment-plan feature yet).",
    ),
)


async def show(request: Request, visit: Visit, upstream: Upstream, action: str) -> HTMLResponse:
    position = await load_position(upstream, visit, request.headers.get("accept-language"))
    return await answer(request, upstream, visit, position, Shown(action, {}))


async def post(
    request: Request, visit: Visit, upstream: Upstream, session: AsyncSession, action: PortalAction[F]
) -> HTMLResponse:
    """Read the form; a bad field answers it again (422), else the action is carried out."""
    position = await load_position(upstream, visit, request.headers.get("accept-language"))
    values = form_values(await request.form())
    form, errors = read_form(action.form, values, position.customer.get("country"))
    t = texts(position.language).__getitem__
    result = Result(errors) if form is None else await action.act(request, session, upstream, visit, position, form, t)
    return await answer(request, upstream, visit, position, Shown(action.name, values, result))


def register(action: PortalAction[Any]) -> None:
    """The action's pair of routes: GET shows its form, POST carries it out."""

    async def show_form(request: Request, visit: PageVisit, upstream: UpstreamDep) -> HTMLResponse:
        return await show(request, visit, upstream, action.name)

    async def post_form(request: Request, visit: FormVisit, upstream: UpstreamDep, session: SessionDep) -> HTMLResponse:
        return await post(request, visit, upstream, session, action)

    path = f"/{{token}}/{action.path}"
    router.add_api_route(path, show_form, methods=["GET"], response_class=HTMLResponse, name=f"{action.name}_form")
    router.add_api_route(
        path, post_form, methods=["POST"], response_class=HTMLResponse, name=action.name, description=action.doc
    )


for _action in ACTIONS:
    register(_action)
