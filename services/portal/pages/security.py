"""The headers every portal page carries (ASGI middleware on ``/portal/``): a strict Content-Security-Policy (our
stylesheet and script only; forms post to us, or lead to the payment provider's checkout), no framing, no
referrer (the URL holds the link's token), nothing cached (the page shows a debt)."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send


def security_headers(checkout_origin: str) -> list[tuple[bytes, bytes]]:
    policy = (
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' https: data:; "
        f"form-action 'self' {checkout_origin}; frame-ancestors 'none'; base-uri 'none'"
    )
    headers = {
        "content-security-policy": policy,
        "referrer-policy": "no-referrer",
        "x-content-type-options": "nosniff",
        "x-frame-options": "DENY",
        "cache-control": "no-store",
    }
    return [(name.encode(), value.encode()) for name, value in headers.items()]


class PortalHeaders:
    def __init__(self, app: ASGIApp, checkout_origin: str) -> None:
        self.app = app
        self.headers = security_headers(checkout_origin)
        self.names = {name for name, _ in self.headers}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/portal/"):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in self.names]
                message["headers"] = kept + self.headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
