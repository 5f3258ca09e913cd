"""How the gateway forwards (api_gateway.proxy.forwarding.Upstream over httpcore's connections in its own
free-list, on asyncio's transports), against real sockets on loopback: a small HTTP/1.1 server whose behaviour
each test picks (keep-alive, close, chunks, a broken answer, a slow one)."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest
from starlette.requests import Request

from api_gateway.proxy.forwarding import Upstream
from api_gateway.settings import GatewaySettings
from shared.problems import BadGateway, GatewayTimeout
from tests.support import free_port

Handler = Callable[[bytes, asyncio.StreamWriter], Awaitable[bool]]


def answer(status: int, body: bytes, *headers: str) -> bytes:
    head = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}", *headers]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


@asynccontextmanager
async def server(handle: Handler) -> AsyncIterator[dict]:
    """Serves requests on a loopback port with ``handle(request, writer)`` (False: close the connection); counts
    the connections it accepted and keeps each request."""
    seen: dict = {"connections": 0, "requests": []}

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen["connections"] += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.lower().split(b"\r\n")
                length = next((int(line[15:]) for line in lines if line.startswith(b"content-length:")), 0)
                request = head + await reader.readexactly(length)
                seen["requests"].append(request)
                if not await handle(request, writer):
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


async def ok(request: bytes, writer: asyncio.StreamWriter) -> bool:
    writer.write(answer(200, b'{"ok":true}', "Content-Type: application/json", "X-Thing: 1", "Server: svc"))
    return True


def upstream(url: str, **settings) -> Upstream:
    return Upstream(GatewaySettings(receivables_url=url, **settings))


async def forward(proxy: Upstream, method: str = "GET", target: str = "/v1/customers/1", body: bytes = b"") -> dict:
    """Forwards one request and plays its answer as the ASGI server would: status, headers and body messages."""
    path, _, query = target.partition("?")
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "headers": [(b"accept", b"application/json"), (b"authorization", b"Bearer secret")],
        "state": {"request_id": "req-1"},
    }
    response = await proxy.forward(Request(scope), "receivables", None, body)
    messages: list[dict] = []

    async def send(message: dict) -> None:
        messages.append(message)

    await response(scope, None, send)  # type: ignore[arg-type]
    start, *bodies = messages
    assert [m.get("more_body", False) for m in bodies] == [True] * (len(bodies) - 1) + [False]
    return {"status": start["status"], "headers": start["headers"], "body": b"".join(m["body"] for m in bodies)}


async def test_answers_keep_status_headers_and_body_and_the_connection_is_reused():
    async with server(ok) as seen:
        proxy = upstream(seen["url"])
        for _ in range(3):
            got = await forward(proxy)
            assert got["status"] == 200 and got["body"] == b'{"ok":true}'
            assert (b"content-type", b"application/json") in got["headers"] and (b"x-thing", b"1") in got["headers"]
            assert (b"content-length", b"11") in got["headers"]
            assert all(name != b"server" for name, _ in got["headers"])
        assert (await forward(proxy, "POST", "/v1/customers?x=1", b"{}"))["status"] == 200
        await proxy.aclose()
    assert seen["connections"] == 1
    first, posted = seen["requests"][0], seen["requests"][-1]
    assert first.startswith(b"GET /v1/customers/1 HTTP/1.1\r\n") and b"x-request-id: req-1" in first
    assert b"authorization" not in first.lower()  # only the allow-list goes through
    assert posted.startswith(b"POST /v1/customers?x=1 HTTP/1.1\r\n") and posted.endswith(b"\r\n\r\n{}")


async def test_a_chunked_answer_streams_through_and_an_encoded_one_stays_encoded():
    async def chunked(request: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n")
        writer.write(b"5\r\nhello\r\n")
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.write(b"6\r\n world\r\n0\r\n\r\n")
        return True

    async with server(chunked) as seen:
        proxy = upstream(seen["url"])
        got = await forward(proxy)
        again = await forward(proxy)
        await proxy.aclose()
    assert (got["status"], got["body"], again["body"]) == (201, b"hello world", b"hello world")
    assert (b"content-encoding", b"gzip") in got["headers"]  # the bytes as sent: not decoded
    assert all(name != b"transfer-encoding" for name, _ in got["headers"])  # hop-by-hop: the server re-frames
    assert seen["connections"] == 1


async def test_connections_the_server_closes_are_not_reused():
    async def once(request: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(answer(200, b"x", "Connection: close"))
        return False

    async with server(once) as seen:
        proxy = upstream(seen["url"])
        for _ in range(3):
            assert (await forward(proxy))["body"] == b"x"
        await proxy.aclose()
    assert seen["connections"] == 3


async def test_a_broken_answer_is_502_and_the_next_request_gets_a_new_connection():
    calls = 0

    async def half(request: bytes, writer: asyncio.StreamWriter) -> bool:
        nonlocal calls
        calls += 1
        if calls == 1:
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Len")
            await writer.drain()
            return False
        writer.write(answer(200, b"whole"))
        return True

    async with server(half) as seen:
        proxy = upstream(seen["url"])
        with pytest.raises(BadGateway):
            await forward(proxy)
        assert (await forward(proxy))["body"] == b"whole"
        await proxy.aclose()
    assert seen["connections"] == 2


async def test_a_bare_502_from_the_service_is_the_gateways_problem():
    async def bad(request: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(answer(502, b"<html>bad</html>", "Content-Type: text/html"))
        return True

    async with server(bad) as seen:
        proxy = upstream(seen["url"])
        with pytest.raises(BadGateway):
            await forward(proxy)
        await proxy.aclose()


async def test_nobody_listening_is_502_and_silence_504():
    proxy = upstream(f"http://127.0.0.1:{free_port()}")
    with pytest.raises(BadGateway):
        await forward(proxy)
    await proxy.aclose()

    async def silent(request: bytes, writer: asyncio.StreamWriter) -> bool:
        await asyncio.sleep(5)  # never answers in time
        return False

    async with server(silent) as seen:
        proxy = upstream(seen["url"], upstream_timeout_seconds=0.2)
        with pytest.raises(GatewayTimeout):
            await forward(proxy)
        await proxy.aclose()


async def test_a_service_url_with_a_path_prefixes_every_request():
    async with server(ok) as seen:
        proxy = upstream(seen["url"] + "/receivables/")
        await forward(proxy, target="/v1/customers?limit=1")
        await proxy.aclose()
    assert seen["requests"][0].startswith(b"GET /receivables/v1/customers?limit=1 HTTP/1.1\r\n")


async def test_an_idle_connection_the_service_closed_is_taken_for_a_new_one():
    async def answer_then_close(request: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(answer(200, b"x"))  # keep-alive by default, yet the server closes it (as at its idle timeout)
        return False

    async with server(answer_then_close) as seen:
        proxy = upstream(seen["url"])
        assert (await forward(proxy))["body"] == b"x"
        idle = proxy.connections["receivables"]._idle
        for _ in range(100):  # until the event loop has seen the server's end of stream (1 s, under the keep-alive)
            if idle[0].has_expired():
                break
            await asyncio.sleep(0.01)
        assert (await forward(proxy))["body"] == b"x"  # not a 502 from the closed one
        await proxy.aclose()
    assert seen["connections"] == 2


async def test_idle_connections_past_their_keep_alive_are_not_reused():
    async with server(ok) as seen:
        proxy = upstream(seen["url"], http_keepalive_seconds=0.05)
        await forward(proxy)
        await forward(proxy)
        await asyncio.sleep(0.1)
        await forward(proxy)
        await proxy.aclose()
    assert seen["connections"] == 2


async def test_a_large_answer_streams_through_whole_and_its_connection_is_reused():
    body = bytes(range(256)) * 8192  # 2 MiB: more than the connection buffers unread

    async def large(request: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(answer(200, body, "Content-Type: application/octet-stream"))
        await writer.drain()
        return True

    async with server(large) as seen:
        proxy = upstream(seen["url"])
        assert (await forward(proxy))["body"] == body
        assert (await forward(proxy, "POST", body=body[:100_000]))["body"] == body
        await proxy.aclose()
    assert seen["connections"] == 1
    assert seen["requests"][1].endswith(body[:100_000])


async def test_past_the_connection_limit_a_request_waits_for_a_free_connection():
    arrived, release = asyncio.Event(), asyncio.Event()

    async def held(request: bytes, writer: asyncio.StreamWriter) -> bool:
        arrived.set()
        if b"/first" in request:
            await release.wait()
        writer.write(answer(200, request.split(b" ")[1]))
        return True

    async with server(held) as seen:
        proxy = upstream(seen["url"], upstream_max_connections=1)
        first = asyncio.create_task(forward(proxy, target="/v1/customers/first"))
        second = asyncio.create_task(forward(proxy, target="/v1/customers/second"))
        await arrived.wait()
        await asyncio.sleep(0.05)
        assert len(seen["requests"]) == 1 and not second.done()  # the second waits for the one connection
        release.set()
        assert (await first)["body"] == b"/v1/customers/first"
        assert (await second)["body"] == b"/v1/customers/second"
        await proxy.aclose()
    assert seen["connections"] == 1


async def test_no_connection_coming_free_in_time_is_504():
    arrived, release = asyncio.Event(), asyncio.Event()

    async def held(request: bytes, writer: asyncio.StreamWriter) -> bool:
        arrived.set()
        await release.wait()
        writer.write(answer(200, b"late"))
        return True

    async with server(held) as seen:
        proxy = upstream(seen["url"], upstream_max_connections=1, upstream_timeout_seconds=0.2)
        first = asyncio.create_task(forward(proxy))
        await arrived.wait()
        with pytest.raises(GatewayTimeout):  # waited for the pool: the first holds the only connection
            await forward(proxy)
        with pytest.raises(GatewayTimeout):  # and the first's answer never came in time either
            await first
        release.set()
        await proxy.aclose()
