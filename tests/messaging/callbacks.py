"""Helpers for provider callbacks: what the gateway stored, applied by messaging's worker."""

from typing import Any

from sqlalchemy import text

from shared.outbox import relay_once
from tests.messaging.support import run_messaging, settings
from tests.support import Stack


async def apply_callbacks(stack: Stack, **worker: Any) -> None:
    """Hand the stored callbacks to messaging (the gateway's relay) and let its worker apply them."""
    while await relay_once(stack.engine, stack.arq, "gateway"):
        pass
    await run_messaging(settings(**worker))


async def stored_requests(stack: Stack) -> list[Any]:
    async with stack.engine.connect() as conn:
        return list((await conn.execute(text("SELECT * FROM gateway.webhook_requests ORDER BY received_at"))).all())
