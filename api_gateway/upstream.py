"""The connections the gateway forwards requests on: keep-alive HTTP/1.1 to each service over asyncio, answers
parsed by httptools (the C parser uvicorn already runs, a dependency of ``uvicorn[standard]``).

Why not httpx here: its pooled transport took about 0.5 ms of CPU per forwarded request (half the gateway's;
httpcore's pool, anyio and the pure-Python h11), where this takes about 0.04 ms. httpx stays the client for every
other call (the merged OpenAPI, internal calls), and tests hand the gateway an httpx transport to reach in-process
apps (``HttpxConnector``): both connectors answer the same ``Answer`` and raise the same two errors.

What it leaves out because our services never need it: HTTP/2, proxies, redirects, cookies, answers delimited by
closing the connection (uvicorn always sends a length or chunks). Like the httpx transport it replaced: idle
connections are dropped after ``http_keepalive_seconds`` (below uvicorn's keep-alive timeout, so a request is not
written on a connection the server is closing), a failed connect is tried once more (nothing was sent, nothing can
repeat), at most ``upstream_max_connections`` per service, and one timeout for the whole exchange.
"""

import asyncio
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httptools
import httpx

CONNECT_RETRIES = 1

Headers = list[tuple[bytes, bytes]]


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: Headers  # names in lower case, as ASGI has them
    body: bytes


class UpstreamUnavailable(Exception):
    """The service could not be reached or broke the exchange off."""


class UpstreamTimeout(Exception):
    """The service did not answer in time (or no connection to it was free)."""


def request_head(method: str, target: str, host: str, headers: Headers, body_length: int | None) -> bytes:
    """The request line and headers; ``content-length`` when there is a body (or the method expects one)."""
    lines = [f"{method} {target} HTTP/1.1\r\nhost: {host}\r\n".encode("latin-1")]
    lines += [name + b": " + value + b"\r\n" for name, value in headers]
    if body_length is not None:
        lines.append(b"content-length: %d\r\n" % body_length)
    lines.append(b"\r\n")
    return b"".join(lines)


class _Connection(asyncio.Protocol):
    """One keep-alive connection to a service, one request at a time."""

    def __init__(self) -> None:
        self._parser = httptools.HttpResponseParser(self)
        self._transport: asyncio.Transport | None = None
        self._answer: asyncio.Future[Answer] | None = None
        self._headers: Headers = []
        self._body: list[bytes] = []
        self.keep_alive = False
        self.idle_since = 0.0

    @property
    def open(self) -> bool:
        return self._transport is not None and not self._transport.is_closing()

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    async def exchange(self, data: bytes) -> Answer:
        assert self._transport is not None
        self._headers, self._body, self.keep_alive = [], [], False
        self._answer = asyncio.get_running_loop().create_future()
        self._transport.write(data)
        try:
            return await self._answer
        finally:
            self._answer = None

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(UpstreamUnavailable(f"not an HTTP answer: {exc}"))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        self._fail(UpstreamUnavailable("the connection was closed before the answer ended"))

    def _fail(self, error: Exception) -> None:
        if self._answer is not None and not self._answer.done():
            self._answer.set_exception(error)

    # httptools callbacks

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name.lower(), value))

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        status = self._parser.get_status_code()
        if status < 200:  # an interim answer (100 Continue...): the real one follows
            self._headers, self._body = [], []
            return
        self.keep_alive = self._parser.should_keep_alive()
        if self._answer is not None and not self._answer.done():
            self._answer.set_result(Answer(status, self._headers, b"".join(self._body)))


class Origin:
    """The pooled connections to one service (most recently used first)."""

    def __init__(self, url: str, max_connections: int, keepalive_seconds: float, connect_timeout: float) -> None:
        parts = urlsplit(url)
        self.secure = parts.scheme == "https"
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (443 if self.secure else 80)
        self.host_header = parts.netloc
        self.prefix = parts.path.rstrip("/")
        self.keepalive_seconds = keepalive_seconds
        self.connect_timeout = connect_timeout
        self._idle: list[_Connection] = []
        self._slots = asyncio.Semaphore(max_connections)

    async def send(self, data: bytes) -> Answer:
        async with self._slots:
            connection = self._idle_connection() or await self._connect()
            try:
                answer = await connection.exchange(data)
            except BaseException:  # a timeout, a cancellation, a broken answer: the connection's state is unknown
                connection.close()
                raise
            if connection.keep_alive and connection.open:
                connection.idle_since = time.monotonic()
                self._idle.append(connection)
            else:
                connection.close()
            return answer

    def _idle_connection(self) -> _Connection | None:
        fresh_after = time.monotonic() - self.keepalive_seconds
        while self._idle and self._idle[0].idle_since < fresh_after:  # the oldest first: expired ones go
            self._idle.pop(0).close()
        while self._idle:
            connection = self._idle.pop()
            if connection.open:
                return connection
        return None

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        context = ssl.create_default_context() if self.secure else None
        for attempt in range(CONNECT_RETRIES + 1):
            try:
                async with asyncio.timeout(self.connect_timeout):
                    _, connection = await loop.create_connection(_Connection, self.host, self.port, ssl=context)
                return connection
            except OSError as exc:
                if attempt == CONNECT_RETRIES:
                    raise UpstreamUnavailable(type(exc).__name__) from None
        raise AssertionError("unreachable")

    def close(self) -> None:
        for connection in self._idle:
            connection.close()
        self._idle.clear()


class SocketConnector:
    """Forwards to the services' URLs over pooled keep-alive connections (``Origin`` per service)."""

    def __init__(
        self, urls: dict[str, str], timeout: float, connect_timeout: float, max_connections: int, keepalive: float
    ) -> None:
        self.timeout = timeout
        self.origins = {
            service: Origin(url, max_connections, keepalive, connect_timeout) for service, url in urls.items()
        }

    async def send(self, service: str, method: str, target: str, headers: Headers, body: bytes) -> Answer:
        origin = self.origins[service]
        length = len(body) if body or method in ("POST", "PUT", "PATCH") else None
        head = request_head(method, origin.prefix + target, origin.host_header, headers, length)
        try:
            async with asyncio.timeout(self.timeout):
                return await origin.send(head + body if body else head)
        except TimeoutError:
            raise UpstreamTimeout from None

    async def aclose(self) -> None:
        for origin in self.origins.values():
            origin.close()


class HttpxConnector:
    """Forwards over an httpx transport: how tests reach in-process service apps."""

    def __init__(self, transport: httpx.AsyncBaseTransport, urls: dict[str, str], timeout: httpx.Timeout) -> None:
        self.transport = transport
        self.urls = {service: url.rstrip("/") for service, url in urls.items()}
        self.timeout = timeout.as_dict()

    async def send(self, service: str, method: str, target: str, headers: Headers, body: bytes) -> Answer:
        request = httpx.Request(
            method, self.urls[service] + target, headers=headers, content=body, extensions={"timeout": self.timeout}
        )
        try:
            response = await self.transport.handle_async_request(request)
            try:
                content = await response.aread()
            finally:
                await response.aclose()
        except httpx.TimeoutException:
            raise UpstreamTimeout from None
        except httpx.TransportError as exc:
            raise UpstreamUnavailable(type(exc).__name__) from None
        # httpx decoded the body: its content-encoding no longer applies
        headers = [(k.lower(), v) for k, v in response.headers.raw if k.lower() != b"content-encoding"]
        return Answer(response.status_code, headers, content)

    async def aclose(self) -> None:
        """The transport belongs to whoever handed it over."""
