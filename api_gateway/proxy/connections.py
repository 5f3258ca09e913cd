"""The gateway's keep-alive connections to one service: httpcore's own connection objects (the transport httpx is
built on) kept in a free-list of our own, in place of httpcore's connection pool.

Why not the pool: on every request it walks all its connections and asks each idle one whether it expired,
which polls that connection's socket (a third of httpx's cost per forwarded request at 8 concurrent callers).
Here a request takes the connection returned last and checks only that one; the others wait their turn, and
those past their keep-alive are closed by a sweep once per keep-alive period. HTTP/1.1 only, no proxy: what the
services speak on the internal network.

A connection is ``httpcore.AsyncHTTP11Connection`` (HTTP/1.1 framing by h11, keep-alive expiry, timeouts per
read and write), opened here as httpcore's ``AsyncHTTPConnection`` would open it (one retry of a failed connect,
TLS when a service's URL is https), on asyncio's transports (``network``).
"""

import asyncio
import functools
import ssl
import time
from collections.abc import AsyncIterable, AsyncIterator
from typing import cast

import httpcore

from api_gateway.proxy.network import AsyncioBackend


class ServiceConnections:
    """At most ``limit`` connections to ``origin`` at a time; a request past the limit waits for a free one up
    to ``pool_timeout`` seconds (then ``httpcore.PoolTimeout``, as the pool would raise)."""

    def __init__(
        self,
        origin: httpcore.Origin,
        *,
        keepalive_seconds: float,
        retries: int,
        limit: int,
        pool_timeout: float,
        connect_timeout: float,
        network: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self.origin = origin
        self.keepalive_seconds = keepalive_seconds
        self.retries = retries
        self.connect_timeout = connect_timeout
        self.network = network or AsyncioBackend()
        self.pool_timeout = pool_timeout
        self._slots = asyncio.Semaphore(limit)
        self._idle: list[httpcore.AsyncHTTP11Connection] = []  # the connection freed last at the end
        self._next_sweep = 0.0

    async def request(self, request: httpcore.Request) -> httpcore.Response:
        """Sends ``request`` on an idle connection (a new one when none is left); the answer's stream hands the
        connection back once the body is read and the answer closed."""
        if self._slots.locked():
            try:
                async with asyncio.timeout(self.pool_timeout):
                    await self._slots.acquire()
            except TimeoutError:
                raise httpcore.PoolTimeout("No connection to the service came free in time") from None
        else:
            await self._slots.acquire()
        try:
            connection = await self._take()
            try:
                response = await connection.handle_async_request(request)
            except BaseException:
                await connection.aclose()
                raise
        except BaseException:
            self._slots.release()
            raise
        response.stream = _Released(self, connection, cast(AsyncIterable[bytes], response.stream))
        return response

    async def _take(self) -> httpcore.AsyncHTTP11Connection:
        now = time.monotonic()
        if now >= self._next_sweep:
            await self._sweep(now)
        while self._idle:
            connection = self._idle.pop()
            if not connection.has_expired():  # past its keep-alive, or closed by the service meanwhile
                return connection
            await connection.aclose()
        return httpcore.AsyncHTTP11Connection(
            self.origin, await self._connect(), keepalive_expiry=self.keepalive_seconds
        )

    async def _connect(self) -> httpcore.AsyncNetworkStream:
        """A new stream to the service (TLS when its URL says https); a failed connect is tried again
        ``retries`` times (nothing was sent yet, so nothing can repeat)."""
        host = self.origin.host.decode("ascii")
        for attempt in range(self.retries + 1):
            try:
                stream = await self.network.connect_tcp(host, self.origin.port, timeout=self.connect_timeout)
                if self.origin.scheme == b"https":
                    stream = await stream.start_tls(_tls(), server_hostname=host, timeout=self.connect_timeout)
                return stream
            except (httpcore.ConnectError, httpcore.ConnectTimeout):
                if attempt == self.retries:
                    raise
        raise AssertionError("unreachable")

    async def _sweep(self, now: float) -> None:
        """Closes the idle connections past their keep-alive (the service is about to close them anyway)."""
        self._next_sweep = now + self.keepalive_seconds
        kept: list[httpcore.AsyncHTTP11Connection] = []
        expired: list[httpcore.AsyncHTTP11Connection] = []
        for connection in self._idle:
            (expired if connection.has_expired() else kept).append(connection)
        self._idle = kept
        for connection in expired:
            await connection.aclose()

    def _release(self, connection: httpcore.AsyncHTTP11Connection) -> None:
        if connection.is_idle():  # else closed: the service said so, or the answer was cut short
            self._idle.append(connection)
        self._slots.release()

    async def aclose(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            await connection.aclose()


@functools.cache
def _tls() -> ssl.SSLContext:
    context = httpcore.default_ssl_context()
    context.set_alpn_protocols(["http/1.1"])
    return context


class _Released:
    """An answer's body, which gives its connection back when closed (httpcore's stream marks the connection
    idle or closes it, by what the answer said)."""

    def __init__(
        self, owner: ServiceConnections, connection: httpcore.AsyncHTTP11Connection, stream: AsyncIterable[bytes]
    ) -> None:
        self.owner = owner
        self.connection = connection
        self.stream = stream
        self.released = False

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self.stream.__aiter__()

    async def aclose(self) -> None:
        if self.released:
            return
        self.released = True
        try:
            await self.stream.aclose()  # type: ignore[attr-defined]  # httpcore's stream of an answer has one
        finally:
            self.owner._release(self.connection)
