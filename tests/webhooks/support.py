"""A receiver on loopback (a real HTTP server, uvicorn, in the test process) and helpers that drive the webhooks
service: register through the gateway, deliver with the worker's own pass."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import text

from services.webhooks.deliveries.sender import create_delivery_client, deliver_due
from services.webhooks.settings import WebhooksSettings
from tests.support import OPERATOR, Stack, free_port, serve_on_loopback

FAST = [0.0] * 9  # the schedule's length, without the waits: a retry is due on the next pass


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]


@dataclass
class Receiver:
    """Answers each request with the next status of ``statuses`` (then ``default``); records what it got.
    ``hold`` makes it wait (a request in flight) until released."""

    port: int
    received: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    default: int = 200
    hold: asyncio.Event | None = None
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        self.received.append(Received(headers, body))
        self.arrived.set()
        if self.hold is not None:
            await self.hold.wait()
        status = self.statuses.pop(0) if self.statuses else self.default
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": f"answer {status} ".encode() * 200})


@asynccontextmanager
async def receiver() -> AsyncIterator[Receiver]:
    stub = Receiver(free_port())
    async with serve_on_loopback(stub, stub.port):
        try:
            yield stub
        finally:
            if stub.hold is not None:  # a request held in flight ends before the server stops
                stub.hold.set()


def settings(**overrides: Any) -> WebhooksSettings:
    """No waits between retries; one pass takes every due delivery (the per-endpoint cap has a test of its own)."""
    defaults = {"retry_schedule_seconds": FAST, "max_in_flight_per_endpoint": 1000}
    return WebhooksSettings(**{**defaults, **overrides})


async def deliver(stack: Stack, passes: int = 1, **overrides: Any) -> int:
    """Run the worker's delivery pass ``passes`` times (a count, never a clock); the attempts made."""
    engine = stack.services["webhooks"].state.engine
    config = settings(**overrides)
    done = 0
    async with create_delivery_client(config) as client:
        for _ in range(passes):
            done += await deliver_due(engine, client, config)
    return done


async def allow_private(api: httpx.AsyncClient, tenant_id: uuid.UUID, allowed: bool = True) -> None:
    response = await api.put(
        f"/v1/tenants/{tenant_id}/webhook-settings", json={"allow_private_urls": allowed}, headers=OPERATOR
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"allow_private_urls": allowed}


async def register(api: httpx.AsyncClient, headers: dict[str, str], url: str, **body: Any) -> dict[str, Any]:
    response = await api.post("/v1/webhook-endpoints", json={"url": url, **body}, headers=headers)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["secret"].startswith("whsec_")
    return created


async def execute(stack: Stack, sql: str, **params: Any) -> None:
    async with stack.engine.begin() as conn:
        await conn.execute(text(sql), params)


async def fetch(stack: Stack, sql: str, **params: Any) -> list[Any]:
    async with stack.engine.connect() as conn:
        return list((await conn.execute(text(sql), params)).mappings().all())
