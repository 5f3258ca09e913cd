"""Small helpers for pure ASGI middleware that must read a request body before the app does."""

from starlette.types import Message, Receive


class BodyTooLarge(Exception):
    """The body went past ``max_bytes`` as it arrived."""


async def read_body(receive: Receive, max_bytes: int | None = None) -> bytes:
    """The whole request body; ``BodyTooLarge`` as soon as the bytes received pass ``max_bytes`` (if given)."""
    chunks, size = [], 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if max_bytes is not None and size > max_bytes:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def replaying(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the already-read body to the app, then behaves as the original."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
