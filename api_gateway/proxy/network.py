"""httpcore's network layer on asyncio's own transports, for the gateway's connections to the services.

httpcore reaches sockets through a pluggable network backend (``httpcore.AsyncNetworkBackend``); its default for
asyncio goes through anyio, which yields to the event loop once more on every read and write, arms a cancel
scope for each, and answers "is this idle connection closed?" by polling the socket. This backend is the same
interface on an ``asyncio.Protocol``: a read waits for ``data_received`` (with the read timeout as one timer), a
write is ``transport.write`` (waiting only when the transport asks to), and an idle connection the service closed
is one whose end of stream the event loop has already seen. HTTP itself stays httpcore's (h11).
"""

# ruff: noqa: ASYNC109 - the timeouts are parameters of httpcore's interface, which this implements

import asyncio
import collections
import ssl
import typing

import httpcore

READ_BUFFER_LIMIT = 256 * 1024  # past this, unread, the socket is not read until the body is consumed


class _Protocol(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.chunks: collections.deque[bytes] = collections.deque()
        self.buffered = 0
        self.ended = False  # the service closed its side (or the connection was lost)
        self.lost: Exception | None = None
        self.waiter: asyncio.Future[None] | None = None
        self.drained: asyncio.Future[None] | None = None
        self.paused_reading = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = typing.cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.chunks.append(data)
        self.buffered += len(data)
        if self.buffered > READ_BUFFER_LIMIT and self.transport is not None:
            self.transport.pause_reading()
            self.paused_reading = True
        self._wake()

    def eof_received(self) -> bool:
        self.ended = True
        self._wake()
        return False  # close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        self.ended = True
        self.lost = exc
        self._wake()
        if self.drained is not None and not self.drained.done():
            self.drained.set_result(None)

    def pause_writing(self) -> None:
        self.drained = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        if self.drained is not None and not self.drained.done():
            self.drained.set_result(None)
        self.drained = None

    def _wake(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)


def _time_out(future: asyncio.Future[None], error: Exception) -> None:
    if not future.done():
        future.set_exception(error)


class AsyncioStream(httpcore.AsyncNetworkStream):
    def __init__(self, transport: asyncio.Transport, protocol: _Protocol) -> None:
        self.transport = transport
        self.protocol = protocol

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        protocol = self.protocol
        if not protocol.chunks and not protocol.ended:
            loop = asyncio.get_running_loop()
            waiter = protocol.waiter = loop.create_future()
            timer = None if timeout is None else loop.call_later(timeout, _time_out, waiter, httpcore.ReadTimeout())
            try:
                await waiter
            finally:
                protocol.waiter = None
                if timer is not None:
                    timer.cancel()
        if not protocol.chunks:
            if protocol.lost is not None:
                raise httpcore.ReadError(str(protocol.lost) or type(protocol.lost).__name__)
            return b""
        chunk = protocol.chunks.popleft()
        if len(chunk) > max_bytes:
            chunk, rest = chunk[:max_bytes], chunk[max_bytes:]
            protocol.chunks.appendleft(rest)
        protocol.buffered -= len(chunk)
        if protocol.paused_reading and protocol.buffered <= READ_BUFFER_LIMIT // 2:
            protocol.paused_reading = False
            self.transport.resume_reading()
        return chunk

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        if self.transport.is_closing():
            raise httpcore.WriteError("The connection is closed")
        self.transport.write(buffer)
        drained = self.protocol.drained
        if drained is not None:  # the kernel's buffer is full: wait until the transport has room again
            try:
                await asyncio.wait_for(asyncio.shield(drained), timeout)
            except TimeoutError:
                raise httpcore.WriteTimeout("The service did not take the request in time") from None

    async def aclose(self) -> None:
        self.transport.close()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                transport = await loop.start_tls(
                    self.transport, self.protocol, ssl_context, server_hostname=server_hostname
                )
        except TimeoutError:
            self.transport.close()
            raise httpcore.ConnectTimeout("TLS handshake timed out") from None
        except (OSError, ssl.SSLError) as exc:
            self.transport.close()
            raise httpcore.ConnectError(str(exc)) from None
        if transport is None:
            raise httpcore.ConnectError("The connection closed during the TLS handshake")
        self.protocol.transport = transport
        return AsyncioStream(transport, self.protocol)

    def get_extra_info(self, info: str) -> typing.Any:
        if info == "is_readable":  # idle, yet something came: the service closed it (or broke the protocol)
            return bool(self.protocol.chunks) or self.protocol.ended
        if info == "client_addr":
            return self.transport.get_extra_info("sockname")
        if info == "server_addr":
            return self.transport.get_extra_info("peername")
        return self.transport.get_extra_info(info)  # socket, ssl_object


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                transport, protocol = await loop.create_connection(
                    _Protocol, host, port, local_addr=(local_address, 0) if local_address else None
                )
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"Connecting to {host}:{port} timed out") from None
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from None
        for option in socket_options or ():
            transport.get_extra_info("socket").setsockopt(*option)
        return AsyncioStream(transport, protocol)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
