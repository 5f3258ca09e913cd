"""Where saves and previews render: in a small pool of threads, never on the event loop, so a slow template cannot
stop the service from answering (``/healthz`` included).

A render that passes the wall-clock cap (``Limits.seconds``) is abandoned: the request gets its 422 at once and the
render stops at its next loop iteration or call (the iteration and output budgets bound it anyway). A tenant has at
most ``Limits.per_tenant`` renders running, abandoned ones included, so it cannot occupy every thread; one more is a
429 with ``Retry-After``. Acceptance of messages (the arq worker) renders inline: a thread hop per message would
cost more than the budgets leave a template to spend.
"""

import asyncio
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextvars import copy_context
from typing import Any, TypeVar

from messaging_service.templates import budget
from shared.problems import TooManyRequests

T = TypeVar("T")

_pools: list[ThreadPoolExecutor] = []
_running: dict[uuid.UUID, int] = {}
_lock = threading.Lock()


def _pool(threads: int) -> ThreadPoolExecutor:
    """The process's render threads (``Limits.threads``), made at the first render."""
    with _lock:
        if not _pools:
            _pools.append(ThreadPoolExecutor(max_workers=threads, thread_name_prefix="template-render"))
        return _pools[0]


def running(tenant_id: uuid.UUID) -> int:
    """The tenant's renders still running (those abandoned included)."""
    return _running.get(tenant_id, 0)


def _release(tenant_id: uuid.UUID) -> None:
    with _lock:
        left = _running.get(tenant_id, 0) - 1
        if left > 0:
            _running[tenant_id] = left
        else:
            _running.pop(tenant_id, None)


async def render(tenant_id: uuid.UUID, function: Callable[..., T], *args: Any) -> T:
    """``function(*args)`` in a render thread: ``TemplateLimit('render_seconds')`` past the cap, 429 past the
    tenant's concurrent renders."""
    limits = budget.limits()
    with _lock:
        if _running.get(tenant_id, 0) >= limits.per_tenant:
            raise TooManyRequests(
                f"At most {limits.per_tenant} template renders of a tenant at once (limit 'renders_per_tenant')",
                headers={"Retry-After": str(max(1, round(limits.seconds)))},
            )
        _running[tenant_id] = _running.get(tenant_id, 0) + 1
    stop = threading.Event()
    context = copy_context()
    context.run(budget.abandoned.set, stop)
    try:
        future: Future[T] = _pool(limits.threads).submit(context.run, function, *args)
    except BaseException:
        _release(tenant_id)
        raise
    future.add_done_callback(lambda _: _release(tenant_id))
    try:
        return await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)), limits.seconds)
    except TimeoutError:
        raise budget.TemplateLimit("render_seconds", f"rendering took more than {limits.seconds} s") from None
    finally:
        if not future.done():  # abandoned (past the cap, or the request went away)
            stop.set()
            future.cancel()  # still queued: never starts
