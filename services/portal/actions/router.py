"""The debtor's actions (public, under ``/portal/{token}/``; the link's token is the credential, the form token
guards each post): GET shows the form, POST acts and shows what was done, or the form again with its errors."""

from collections.abc import Awaitable, Callable
from typing import TypeVar

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


async def show(request: Request, visit: Visit, upstream: Upstream, action: str) -> HTMLResponse:
    position = await load_position(upstream, visit, request.headers.get("accept-language"))
    return await answer(request, upstream, visit, position, Shown(action, {}))


async def post(
    request: Request, visit: Visit, upstream: Upstream, session: AsyncSession, action: str, model: type[F], act: Act[F]
) -> HTMLResponse:
    """Read the form; a bad field answers it again (422), else the action is carried out."""
    position = await load_position(upstream, visit, request.headers.get("accept-language"))
    values = form_values(await request.form())
    form, errors = read_form(model, values, position.customer.get("country"))
    t = texts(position.language)
    result = Result(errors) if form is None else await act(session, upstream, visit, position, form, t.__getitem__)
    return await answer(request, upstream, visit, position, Shown(action, values, result))


@router.get("/{token}/report", response_class=HTMLResponse)
async def report_form(request: Request, visit: PageVisit, upstream: UpstreamDep) -> HTMLResponse:
    return await show(request, visit, upstream, "report")


@router.post("/{token}/report", response_class=HTMLResponse)
async def report(request: Request, visit: FormVisit, upstream: UpstreamDep, session: SessionDep) -> HTMLResponse:
    """A payment made by transfer or deposit, with its receipt (seed 004) -> ``payment_reported`` (seed 000)."""
    settings: PortalSettings = request.app.state.settings
    upload = (await request.form()).get("receipt")
    content = await upload.read(settings.receipt_max_bytes + 1) if isinstance(upload, UploadFile) else b""
    filename = upload.filename if isinstance(upload, UploadFile) else None
    storage = storage_for(settings, request.app.state.http)

    async def act(s: AsyncSession, u: Upstream, v: Visit, p: Position, form: ReportForm, t: Words) -> Result:
        return await service.report_payment(s, u, storage, v, p, form, content, filename, settings.receipt_max_bytes, t)

    return await post(request, visit, upstream, session, "report", ReportForm, act)


@router.get("/{token}/promise", response_class=HTMLResponse)
async def promise_form(request: Request, visit: PageVisit, upstream: UpstreamDep) -> HTMLResponse:
    return await show(request, visit, upstream, "promise")


@router.post("/{token}/promise", response_class=HTMLResponse)
async def promise(request: Request, visit: FormVisit, upstream: UpstreamDep, session: SessionDep) -> HTMLResponse:
    """A date within the tenant's horizon -> ``promise_to_pay`` and a confirmation message."""

    async def act(s: AsyncSession, u: Upstream, v: Visit, p: Position, form: PromiseForm, t: Words) -> Result:
        return await service.promise(s, u, v, p, form)

    return await post(request, visit, upstream, session, "promise", PromiseForm, act)


@router.get("/{token}/dispute", response_class=HTMLResponse)
async def dispute_form(request: Request, visit: PageVisit, upstream: UpstreamDep) -> HTMLResponse:
    return await show(request, visit, upstream, "dispute")


@router.post("/{token}/dispute", response_class=HTMLResponse)
async def dispute(request: Request, visit: FormVisit, upstream: UpstreamDep, session: SessionDep) -> HTMLResponse:
    """One invoice, a reason and a comment -> ``dispute`` with the area the reason maps to."""
    return await post(request, visit, upstream, session, "dispute", DisputeForm, service.dispute)


@router.get("/{token}/call", response_class=HTMLResponse)
async def call_form(request: Request, visit: PageVisit, upstream: UpstreamDep) -> HTMLResponse:
    return await show(request, visit, upstream, "call")


@router.post("/{token}/call", response_class=HTMLResponse)
async def call(request: Request, visit: FormVisit, upstream: UpstreamDep, session: SessionDep) -> HTMLResponse:
    """A call inside the contact window -> a task for the customer's collector."""
    return await post(request, visit, upstream, session, "call", CallForm, asks.request_call)


@router.get("/{token}/opt-out", response_class=HTMLResponse)
async def opt_out_form(request: Request, visit: PageVisit, upstream: UpstreamDep) -> HTMLResponse:
    return await show(request, visit, upstream, "opt_out")


@router.post("/{token}/opt-out", response_class=HTMLResponse)
async def opt_out(request: Request, visit: FormVisit, upstream: UpstreamDep, session: SessionDep) -> HTMLResponse:
    """No more messages on a channel -> an opt-out in messaging for the customer's addresses on it."""
    return await post(request, visit, upstream, session, "opt_out", OptOutForm, asks.opt_out)


@router.get("/{token}/plan", response_class=HTMLResponse)
async def plan_form(request: Request, visit: PageVisit, upstream: UpstreamDep) -> HTMLResponse:
    return await show(request, visit, upstream, "plan")


@router.post("/{token}/plan", response_class=HTMLResponse)
async def plan(request: Request, visit: FormVisit, upstream: UpstreamDep, session: SessionDep) -> HTMLResponse:
    """A plan within the tenant's rules -> a task for approval (no payment-plan feature yet)."""
    return await post(request, visit, upstream, session, "plan", PlanForm, asks.request_plan)
