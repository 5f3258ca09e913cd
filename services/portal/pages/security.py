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
    """The headers on every response under ``/portal/``; the checkout's origin is read from the app's settings at
    each request (a test, or an operator's reload, may change the provider)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.cached: tuple[str, list[tuple[bytes, bytes]]] | None = None

    def headers(self, checkout_origin: str) -> list[tuple[bytes, bytes]]:
        if self.cached is None or self.cached[0] != checkout_origin:
            self.cached = (checkout_origin, security_headers(checkout_origin))
        return self.cached[1]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/portal/"):
            await self.app(scope, receive, send)
            return
        headers = self.headers(scope["app"].state.settings.checkout_origin())
        names = {name for name, _ in headers}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                message["headers"] = kept + headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
