"""Refuse text PostgreSQL cannot store: the NUL character (U+0000) in a path, a query or a body.

Every text column would reject it with a database error deep inside a request; here it is a 422 naming the
field, before anything is read or written. A JSON body is searched only when its bytes hold an escaped NUL. A
multipart body (a file upload: the portal's payment receipts) carries binary files, NULs and all: its text fields
are the receiving form's to check.
"""

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.asgi import read_body, replaying
from shared.problems import ValidationProblem, problem_response

MESSAGE = "must not contain the NUL character (U+0000)"


def nul_paths(value: Any, path: str = "") -> Iterator[str]:
    """Field paths (``items[3].name``) of the strings, keys included, that hold a NUL."""
    if isinstance(value, str):
        if "\x00" in value:
            yield path or "body"
    elif isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                yield child
            yield from nul_paths(item, child)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from nul_paths(item, f"{path}[{index}]")


def _is_multipart(scope: Scope) -> bool:
    content_type = next((v for k, v in scope.get("headers", []) if k == b"content-type"), b"")
    return content_type.lower().startswith(b"multipart/form-data")


def _field(scope: Scope, body: bytes) -> str | None:
    if "\x00" in scope["path"]:
        return "path"
    query = scope.get("query_string", b"")
    if b"%00" in query or b"\x00" in query:
        names = [
            name for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True) if "\x00" in name + value
        ]
        return names[0] if names else "query"
    if (b"\\u0000" in body or b"\x00" in body) and not _is_multipart(scope):
        try:
            return next(nul_paths(orjson.loads(body)), "body")
        except orjson.JSONDecodeError:
            return "body"
    return None


class RejectNulCharacters:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        has_body = scope["method"] in ("POST", "PUT", "PATCH")
        body = await read_body(receive) if has_body else b""
        field = _field(scope, body)
        if field is not None:
            problem = ValidationProblem.field(field, MESSAGE)
            await problem_response(problem, scope["path"], scope.get("state", {}).get("request_id"))(
                scope, receive, send
            )
            return
        await self.app(scope, replaying(body, receive) if has_body else receive, send)
