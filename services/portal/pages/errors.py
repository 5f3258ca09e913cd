"""Friendly pages instead of problem+json under ``/portal/`` (a debtor reads them, on a phone): a link that
opens nothing, too many attempts, an expired form, a service that did not answer. The provider's notifications
(``/portal/psp/``) keep problem+json: a machine reads them."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from services.portal.pages.rendering import page
from services.portal.visits.rules import browser_language
from services.portal.visits.service import FormExpired, LinkRefused, TooManyVisits
from shared.problems import Problem

MACHINE_PATHS = ("/portal/psp/",)


def _for_people(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/portal/") and not path.startswith(MACHINE_PATHS)


def notice(request: Request, status: int, title: str, body: str) -> Response:
    """A page with a title and a sentence, in the browser's language (there is no customer to ask)."""
    language = browser_language(request.headers.get("accept-language"))
    return page(request, "notice.html", language, status_code=status, title_key=title, body_key=body)


def install_error_pages(app: FastAPI) -> None:
    problem_handler = app.exception_handlers[Problem]
    validation_handler = app.exception_handlers[RequestValidationError]
    http_handler = app.exception_handlers[StarletteHTTPException]

    @app.exception_handler(LinkRefused)
    async def _refused(request: Request, exc: LinkRefused) -> Response:
        # One answer for unknown, expired, revoked and disabled: nothing to learn by trying links.
        return notice(request, 404, "refused_title", "refused_body")

    @app.exception_handler(TooManyVisits)
    async def _limited(request: Request, exc: TooManyVisits) -> Response:
        response = notice(request, 429, "limited_title", "limited_body")
        response.headers["Retry-After"] = "60"
        return response

    @app.exception_handler(FormExpired)
    async def _form_expired(request: Request, exc: FormExpired) -> Response:
        return notice(request, 403, "expired_form_title", "expired_form_body")

    async def _unavailable(request: Request, exc: Any, fallback: Any) -> Response:
        if not _for_people(request):
            response: Response = await fallback(request, exc)
            return response
        status: int = getattr(exc, "status", None) or getattr(exc, "status_code", None) or 500
        if status == 404:
            return notice(request, 404, "refused_title", "refused_body")
        if status in (400, 422):
            return notice(request, 422, "expired_form_title", "expired_form_body")
        return notice(request, 503 if status >= 500 else status, "unavailable_title", "unavailable_body")

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> Response:
        return await _unavailable(request, exc, problem_handler)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        return await _unavailable(request, exc, validation_handler)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        return await _unavailable(request, exc, http_handler)
