"""Request body limits (issue 11): one table of path prefixes in the settings; the longest prefix a path starts
with gives its limit, every other path the default. A body beyond its limit is a 413 problem, refused as soon as
the declared length or the bytes received so far pass it, before anything else reads it (the idempotency and
NUL checks, the routes), so an oversized body is never held whole in memory nor parsed."""

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from api_gateway.limits.rules import body_limit
from shared.asgi import BodyTooLarge, read_body, replaying
from shared.problems import Problem, problem_response


def declares_body(scope: Scope) -> bool:
    """Whether the request announces a body (a Content-Length above 0, or a Transfer-Encoding). An HTTP/1.1
    request without either has none (RFC 9112, 6.3): nothing to limit, nothing to read."""
    for name, value in scope["headers"]:
        if name == b"transfer-encoding" or (name == b"content-length" and value != b"0"):
            return True
    return False


def too_large(max_bytes: int) -> Problem:
    return Problem(f"The body is larger than {max_bytes} bytes", status=413, slug="payload-too-large")


async def read_limited(receive: Receive, content_length: str | None, max_bytes: int) -> bytes:
    """The whole body, or ``too_large``: by the declared length, then by the bytes counted as they arrive
    (chunked, or a Content-Length that lied)."""
    if content_length and content_length.isdigit() and int(content_length) > max_bytes:
        raise too_large(max_bytes)
    try:
        return await read_body(receive, max_bytes)
    except BodyTooLarge:
        raise too_large(max_bytes) from None


class BodyLimit:
    """An ASGI middleware holding every request of the gateway to its body limit (settings ``body_limits`` and
    ``max_body_bytes``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not declares_body(scope):
            await self.app(scope, receive, send)
            return
        settings = scope["app"].state.settings
        max_bytes = body_limit(scope["path"], settings.body_limits, settings.max_body_bytes)
        try:
            body = await read_limited(receive, Headers(scope=scope).get("content-length"), max_bytes)
        except Problem as problem:
            request_id = scope.get("state", {}).get("request_id")
            await problem_response(problem, scope["path"], request_id)(scope, receive, send)
            return
        await self.app(scope, replaying(body, receive), send)
