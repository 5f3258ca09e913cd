"""The gateway's own connections to the services (api_gateway.upstream), against real sockets on loopback: a small
HTTP/1.1 server whose behaviour each test picks (keep-alive, close, chunks, a broken answer, silence)."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest

from api_gateway.upstream import SocketConnector, UpstreamTimeout, UpstreamUnavailable, request_head
from tests.support import free_port

Handler = Callable[[bytes, asyncio.StreamReader, asyncio.StreamWriter], Awaitable[bool]]


def answer(status: int, body: bytes, *headers: str) -> bytes:
    head = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}", *headers]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


@asynccontextmanager
async def server(handle: Handler) -> AsyncIterator[dict]:
    """Serves requests on a loopback port with ``handle(request head, reader, writer)`` (False: close the
    connection); counts the connections it accepted and keeps each request's head."""
    seen: dict = {"connections": 0, "requests": []}

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen["connections"] += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.startswith(b"content-length")),
                    0,
                )
                body = await reader.readexactly(length)
                seen["requests"].append((head, body))
                if not await handle(head + body, reader, writer):
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    listening = await asyncio.start_server(serve, "127.0.0.1", 0)
    seen["url"] = f"http://127.0.0.1:{listening.sockets[0].getsockname()[1]}"
    try:
        yield seen
    finally:
        listening.close()


def connector(url: str, timeout: float = 5.0, keepalive: float = 3.0) -> SocketConnector:
    return SocketConnector({"svc": url}, timeout=timeout, connect_timeout=1.0, max_connections=10, keepalive=keepalive)


async def ok(request: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
    writer.write(answer(200, b'{"ok":true}', "Content-Type: application/json", "X-Thing: 1"))
    return True


def test_the_request_head_carries_host_headers_and_length():
    head = request_head("POST", "/v1/x?a=1", "svc:8001", [(b"accept", b"*/*")], 3)
    assert head == b"POST /v1/x?a=1 HTTP/1.1\r\nhost: svc:8001\r\naccept: */*\r\ncontent-length: 3\r\n\r\n"
    assert b"content-length" not in request_head("GET", "/", "svc", [], None)


async def test_answers_keep_their_status_headers_and_body_and_reuse_the_connection():
    async with server(ok) as seen:
        upstream = connector(seen["url"])
        for _ in range(3):
            got = await upstream.send("svc", "GET", "/v1/things/1", [(b"accept", b"application/json")], b"")
            assert got.status == 200 and got.body == b'{"ok":true}'
            assert (b"content-type", b"application/json") in got.headers and (b"x-thing", b"1") in got.headers
        posted = await upstream.send("svc", "POST", "/v1/things", [(b"content-type", b"application/json")], b"{}")
        assert posted.status == 200
        await upstream.aclose()
    assert seen["connections"] == 1
    head, body = seen["requests"][-1]
    assert head.startswith(b"POST /v1/things HTTP/1.1\r\n") and b"content-length: 2" in head and body == b"{}"


async def test_a_chunked_answer_is_read_whole():
    async def chunked(request: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n")
        writer.write(b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
        return True

    async with server(chunked) as seen:
        upstream = connector(seen["url"])
        got = await upstream.send("svc", "GET", "/", [], b"")
        again = await upstream.send("svc", "GET", "/", [], b"")
        await upstream.aclose()
    assert (got.status, got.body, again.body) == (201, b"hello world", b"hello world")
    assert seen["connections"] == 1


async def test_connections_the_server_closes_are_not_reused():
    async def once(request: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        writer.write(answer(200, b"x", "Connection: close"))
        return False

    async with server(once) as seen:
        upstream = connector(seen["url"])
        for _ in range(3):
            assert (await upstream.send("svc", "GET", "/", [], b"")).body == b"x"
        await upstream.aclose()
    assert seen["connections"] == 3


async def test_idle_connections_expire_before_the_servers_keep_alive_ends():
    async with server(ok) as seen:
        upstream = connector(seen["url"], keepalive=0.1)
        await upstream.send("svc", "GET", "/", [], b"")
        await asyncio.sleep(0.2)
        await upstream.send("svc", "GET", "/", [], b"")
        await upstream.aclose()
    assert seen["connections"] == 2


async def test_a_broken_answer_is_unavailable_and_the_next_request_gets_a_new_connection():
    calls = 0

    async def half(request: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        nonlocal calls
        calls += 1
        if calls == 1:
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part")
            await writer.drain()
            return False
        writer.write(answer(200, b"whole"))
        return True

    async with server(half) as seen:
        upstream = connector(seen["url"])
        with pytest.raises(UpstreamUnavailable):
            await upstream.send("svc", "GET", "/", [], b"")
        assert (await upstream.send("svc", "GET", "/", [], b"")).body == b"whole"
        await upstream.aclose()
    assert seen["connections"] == 2


async def test_nobody_listening_is_unavailable_and_silence_a_timeout():
    with pytest.raises(UpstreamUnavailable):
        await connector(f"http://127.0.0.1:{free_port()}").send("svc", "GET", "/", [], b"")

    async def silent(request: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        await reader.read(1)  # never answers
        return False

    async with server(silent) as seen:
        upstream = connector(seen["url"], timeout=0.2)
        with pytest.raises(UpstreamTimeout):
            await upstream.send("svc", "GET", "/", [], b"")
        await upstream.aclose()


async def test_a_service_url_with_a_path_prefixes_every_request():
    async with server(ok) as seen:
        upstream = connector(seen["url"] + "/receivables/")
        await upstream.send("svc", "GET", "/v1/customers?limit=1", [], b"")
        await upstream.aclose()
    assert seen["requests"][0][0].startswith(b"GET /receivables/v1/customers?limit=1 HTTP/1.1\r\n")
