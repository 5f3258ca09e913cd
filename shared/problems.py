"""RFC 9457 problem details: one error base class, rendered in one place.

Every error path of every service answers ``application/problem+json`` with a stable ``type``.
Validation errors list each bad field in ``errors[].field`` (dotted path, list indexes in brackets).
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import orjson
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import HTTPConnection
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.db import connection_unavailable

PROBLEM_BASE = "https://cobranza.dev/problems/"
PROBLEM_CONTENT_TYPE = "application/problem+json"

log = structlog.get_logger()


class Problem(Exception):
    """An expected error that the API reports to its caller."""

    status: int = 500
    slug: str = "internal-error"
    title: str = "Internal server error"

    def __init__(
        self,
        detail: str | None = None,
        *,
        status: int | None = None,
        slug: str | None = None,
        title: str | None = None,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        if status is not None:
            self.status = status
        if slug is not None:
            self.slug = slug
        if title is not None:
            self.title = title
        self.headers = dict(headers or {})
        self.extra = extra

    def body(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"type": PROBLEM_BASE + self.slug, "title": self.title, "status": self.status}
        if self.detail:
            body["detail"] = self.detail
        if instance:
            body["instance"] = instance
        body.update(self.extra)
        return body


class BadRequest(Problem):
    status, slug, title = 400, "bad-request", "Bad request"


class Unauthorized(Problem):
    status, slug, title = 401, "unauthorized", "Authentication required"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="cobranza"'}, **extra)


class Forbidden(Problem):
    status, slug, title = 403, "forbidden", "Not allowed for your role"


class NotFound(Problem):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(Problem):
    status, slug, title = 409, "conflict", "Conflict with the current state"


class ValidationProblem(Problem):
    """422 naming each bad field: ``errors=[{"field": "items[3].email", "message": "..."}]``."""

    status, slug, title = 422, "validation-error", "The request is not valid"

    def __init__(self, errors: Sequence[dict[str, Any]], detail: str | None = None) -> None:
        errors = list(errors)
        if detail is None and errors:
            detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        super().__init__(detail, errors=errors)

    @classmethod
    def field(cls, field: str, message: str) -> "ValidationProblem":
        return cls([{"field": field, "message": message}])


class TooManyRequests(Problem):
    status, slug, title = 429, "rate-limited", "Too many requests"


class BadGateway(Problem):
    status, slug, title = 502, "bad-gateway", "The service behind the gateway is unavailable"


class GatewayTimeout(Problem):
    status, slug, title = 504, "gateway-timeout", "The service behind the gateway did not answer in time"


class ServiceUnavailable(Problem):
    status, slug, title = 503, "unavailable", "Not ready"


DEFAULT_RETRY_AFTER_SECONDS = 5


class DatabaseUnavailable(ServiceUnavailable):
    """No database connection to be had (pool exhausted, too many connections, server down or restarting): the
    request did nothing, and the same request later may well succeed."""

    slug, title = "database-unavailable", "The database is busy or out of reach; try again shortly"

    def __init__(self, retry_after_seconds: int = DEFAULT_RETRY_AFTER_SECONDS) -> None:
        super().__init__(headers={"Retry-After": str(retry_after_seconds)})


def database_unavailable(connection: HTTPConnection, exc: BaseException) -> Response:
    settings = getattr(connection.app.state, "settings", None)
    retry_after = getattr(settings, "db_unavailable_retry_after_seconds", DEFAULT_RETRY_AFTER_SECONDS)
    log.warning("database_unavailable", path=connection.url.path, error=f"{type(exc).__name__}: {exc}"[:200])
    problem = DatabaseUnavailable(retry_after)
    return problem_response(problem, connection.url.path, connection.scope.get("state", {}).get("request_id"))


class DatabaseUnavailableAnswers503:
    """An ASGI middleware: a request that could not get a database connection answers 503 problem+json with
    ``Retry-After``, wherever it failed (a route, a dependency's commit, a middleware such as the gateway's
    idempotency store), never a 500. Errors of the statement itself go on to the handlers below."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started or not connection_unavailable(exc):
                raise
            await database_unavailable(HTTPConnection(scope), exc)(scope, receive, send)


def field_path(loc: Sequence[str | int]) -> str:
    """``("body", "items", 3, "email")`` -> ``items[3].email``; the request part is dropped."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "body"


def pydantic_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    return [_error_entry(e) for e in errors]


def _error_entry(error: Any) -> dict[str, Any]:
    """One field's error. A body that is not JSON names ``body`` (FastAPI's location is the character offset)."""
    if error.get("type") == "json_invalid":
        offset = error.get("loc", ("body", 0))[-1]
        return {"field": "body", "message": f"is not valid JSON (at character {offset})", "code": "json_invalid"}
    field = field_path(error.get("loc", ()))
    return {"field": field, "message": error.get("msg", "invalid"), "code": error.get("type")}


def problem_response(problem: Problem, instance: str | None = None, request_id: str | None = None) -> Response:
    body = problem.body(instance)
    if request_id:
        body["request_id"] = request_id
    return Response(
        orjson.dumps(body, default=str),
        status_code=problem.status,
        media_type=PROBLEM_CONTENT_TYPE,
        headers=problem.headers,
    )


def _request_id(request: Request) -> str | None:
    return request.scope.get("state", {}).get("request_id") or request.headers.get("x-request-id")


STATUS_SLUGS = {
    400: ("bad-request", "Bad request"),
    401: ("unauthorized", "Authentication required"),
    403: ("forbidden", "Not allowed for your role"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    409: ("conflict", "Conflict with the current state"),
    413: ("payload-too-large", "Payload too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    422: ("validation-error", "The request is not valid"),
    429: ("rate-limited", "Too many requests"),
    502: ("bad-gateway", "The service behind the gateway is unavailable"),
    503: ("unavailable", "The database is busy or out of reach; try again shortly"),
    504: ("gateway-timeout", "The service behind the gateway did not answer in time"),
}


def install_problem_handlers(app: FastAPI) -> None:
    """Every error path renders problem+json: ours, FastAPI's validation, Starlette's HTTP errors, crashes."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> Response:
        return problem_response(exc, request.url.path, _request_id(request))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        problem = ValidationProblem(pydantic_errors(exc.errors()))
        return problem_response(problem, request.url.path, _request_id(request))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 400 and isinstance(exc.__cause__, UnicodeDecodeError):
            # FastAPI's 400 for a JSON body that is not UTF-8: the same 422 as any other body that is not JSON.
            error = {"field": "body", "message": "is not valid JSON (not UTF-8)", "code": "json_invalid"}
            return problem_response(ValidationProblem([error]), request.url.path, _request_id(request))
        slug, title = STATUS_SLUGS.get(exc.status_code, ("http-error", "HTTP error"))
        detail = exc.detail if isinstance(exc.detail, str) and exc.detail != title else None
        problem = Problem(detail, status=exc.status_code, slug=slug, title=title, headers=exc.headers)
        return problem_response(problem, request.url.path, _request_id(request))

    @app.exception_handler(DBAPIError)
    async def _database(request: Request, exc: DBAPIError) -> Response:
        """A safety net for what the service did not check first: a constraint (SQLSTATE class 23) is a
        conflict, a value the database cannot hold (class 22: out of range, bad encoding) a bad request."""
        if connection_unavailable(exc):
            return database_unavailable(request, exc)
        error = exc.orig.__cause__ or exc.orig if exc.orig is not None else None
        sqlstate = str(getattr(error, "sqlstate", "") or "")
        log.warning("database_error", path=request.url.path, sqlstate=sqlstate, error=str(error)[:200])
        if sqlstate.startswith("23"):
            problem: Problem = Conflict(
                "This conflicts with data already stored", constraint=getattr(error, "constraint_name", None)
            )
        elif sqlstate.startswith("22"):
            problem = Problem(
                "A value cannot be stored (out of range or not valid text)",
                status=422,
                slug="validation-error",
                title="The request is not valid",
            )
        else:
            log.exception("unhandled_error", path=request.url.path)
            problem = Problem()
        return problem_response(problem, request.url.path, _request_id(request))

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        if connection_unavailable(exc):
            return database_unavailable(request, exc)
        log.exception("unhandled_error", path=request.url.path)
        return problem_response(Problem(), request.url.path, _request_id(request))


PROBLEM_SCHEMA = {
    "type": "object",
    "properties": {
        "type": {"type": "string", "format": "uri", "example": PROBLEM_BASE + "not-found"},
        "title": {"type": "string", "example": "Not found"},
        "status": {"type": "integer", "example": 404},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string"},
                    "message": {"type": "string"},
                    "code": {"type": "string"},
                    "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
                },
            },
        },
    },
    "required": ["type", "title", "status"],
}


_EXAMPLE_REQUEST_ID = "5f2b7c1e9a0d4e3f8b6a2c4d1e0f9a8b"
# What each status looks like on the wire, for the document's examples (the details are ones the code raises).
PROBLEM_EXAMPLES: dict[int, dict[str, Any]] = {
    401: {"detail": "Send an access token (Authorization: Bearer ...) or an API key (X-API-Key)"},
    403: {"detail": "This needs one of the roles: admin, manager"},
    404: {"detail": "Customer not found", "instance": "/v1/customers/0d9f6a52-3c1b-4e8a-9f7d-2b6c4e1a8f30"},
    409: {"detail": "A request with this Idempotency-Key is still in progress"},
    413: {"detail": "The body is larger than 1048576 bytes"},
    422: {
        "detail": "email: value is not a valid email address",
        "errors": [{"field": "email", "message": "value is not a valid email address", "code": "value_error"}],
    },
    429: {"detail": "The API key may make 600 requests a minute", "limit": 600},
    502: {"detail": "The receivables service is unavailable (ConnectError)", "service": "receivables"},
    503: {"type": PROBLEM_BASE + "database-unavailable"},
    504: {"detail": "The receivables service did not answer in time", "service": "receivables"},
}
# Statuses answered with ``Retry-After``: the rate limit (and login throttle), and no database connection.
RETRY_AFTER_STATUSES = frozenset({429, 503})
RETRY_AFTER_HEADER = {
    "description": "Seconds to wait before trying again.",
    "schema": {"type": "integer", "minimum": 1, "example": 30},
}


def problem_example(status: int) -> dict[str, Any]:
    slug, title = STATUS_SLUGS.get(status, ("http-error", "HTTP error"))
    example: dict[str, Any] = {"type": PROBLEM_BASE + slug, "title": title, "status": status}
    example.update({"instance": "/v1/customers", **PROBLEM_EXAMPLES.get(status, {})})
    example["request_id"] = _EXAMPLE_REQUEST_ID
    return example


def problem_content(status: int | None = None) -> dict[str, Any]:
    content: dict[str, Any] = {"schema": {"$ref": "#/components/schemas/Problem"}}
    if status is not None:
        content["example"] = problem_example(status)
    return {PROBLEM_CONTENT_TYPE: content}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries documenting problem+json answers for a route."""
    return {
        status: {"description": STATUS_SLUGS.get(status, ("", "Error"))[1], "content": problem_content(status)}
        for status in statuses
    }


_Dependency = TypeVar("_Dependency", bound=Callable[..., Any])


def answers(*statuses: int) -> Callable[[_Dependency], _Dependency]:
    """Mark a dependency with the problem statuses it may answer: every route that depends on it documents them
    (``document_problems``), so a status raised in a shared dependency is declared once, not on each route."""

    def mark(dependency: _Dependency) -> _Dependency:
        dependency.problem_statuses = frozenset(statuses)  # type: ignore[attr-defined]  # read by document_problems
        return dependency

    return mark


def statuses_by_construction(operation: dict[str, Any]) -> set[int]:
    """What any route of a service can answer, read from its operation: 503 (no database connection: the
    middleware above every route), 422 when it takes parameters or a body, 404 when a path names a resource."""
    parameters = operation.get("parameters", [])
    statuses = {503}
    if parameters or "requestBody" in operation:
        statuses.add(422)
    if any(p.get("in") == "path" for p in parameters):
        statuses.add(404)
    return statuses


def document_problems(operation: dict[str, Any], statuses: set[int] | frozenset[int]) -> None:
    """Add ``statuses`` to an operation's responses and say that every error answer (4xx, 5xx) is problem+json
    (FastAPI's own 422 entry names ``application/json`` and a schema no route answers with)."""
    responses = operation.setdefault("responses", {})
    for status in sorted(statuses):
        responses.setdefault(str(status), {"description": STATUS_SLUGS.get(status, ("", "Error"))[1]})
    for code, response in responses.items():
        if code[:1] in ("4", "5") and code.isdigit():
            response["content"] = problem_content(int(code))
            if int(code) in RETRY_AFTER_STATUSES:
                response.setdefault("headers", {})["Retry-After"] = RETRY_AFTER_HEADER
