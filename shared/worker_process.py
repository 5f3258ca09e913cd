"""The process of a service's worker: ``python -m shared.worker_process dunning_service.worker.WorkerSettings``.

arq's own command ends the process when Redis goes away (its poll loop raises), so a 20-second Redis restart
stopped every worker until someone started them again. This runs the same arq ``Worker`` under a loop that rides
out outages: when the worker's main loop fails (Redis or PostgreSQL unreachable), the jobs already running are given
time to finish, the worker's context is closed, and a new worker starts after a back-off (1 s doubling to 30 s).
A job cut off that way is not lost: arq re-runs it once its claim lapses (``LeasedWorker``: 30 s, renewed while
the job runs) or the service's sweepers re-drive its work (see each service's README).

SIGTERM or SIGINT (a deploy, Ctrl-C) stop it gracefully: no new job is picked, ``ctx["stopping"]`` tells
long jobs to stop taking more work (messaging's deliver jobs finish the batch in hand), running jobs get
``job_completion_wait`` seconds, then are cancelled.
"""

import asyncio
import contextlib
import importlib
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

from arq.constants import in_progress_key_prefix
from arq.worker import Worker, get_kwargs

log = logging.getLogger("cobranza.worker_process")

BACKOFF_FIRST_SECONDS = 1.0
BACKOFF_MAX_SECONDS = 30.0
# How long a running job may take to finish once the worker must stop (a deploy, an outage).
COMPLETION_WAIT_SECONDS = 20.0
# A worker that ran this long before failing was healthy: the back-off starts again from the first step.
HEALTHY_AFTER_SECONDS = 60.0


# How long a started job stays claimed when its worker stops renewing the claim (it died): then another worker runs
# it again. arq's own claim lasts the longest job timeout of the worker plus 10 s (dunning: 910 s), so a batch of
# commands a killed worker was taking waited a quarter of an hour.
JOB_CLAIM_SECONDS = 30.0

# Liveness per process (Kubernetes probes each worker pod, deploy/k8s): the file named by this variable is touched
# while the process's loop turns, in arq's poll loop or in the back-off between two workers. ``arq --check`` reads
# one key per queue, which any replica keeps fresh (and a stopping one deletes): it cannot tell which pod is stuck.
HEARTBEAT_FILE_VARIABLE = "COBRANZA_WORKER_HEARTBEAT_FILE"
HEARTBEAT_SECONDS = 10.0


def touch(path: Path | None) -> None:
    """Mark the process alive (a file's modification time: the probe needs no Python and no Redis)."""
    if path is not None:
        try:
            path.touch()
        except OSError:
            log.warning("worker_heartbeat_failed path=%s", path)


class LeasedWorker(Worker):
    """arq's worker, whose claim on a running job (the in-progress key) is a short lease renewed while it runs."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.in_progress_timeout_s = JOB_CLAIM_SECONDS
        self._claims_renewed_at = 0.0
        self.heartbeat_file: Path | None = None
        self._heartbeat_at = 0.0

    async def heart_beat(self) -> None:
        await super().heart_beat()
        now = asyncio.get_running_loop().time()
        if now - self._heartbeat_at >= HEARTBEAT_SECONDS:
            self._heartbeat_at = now
            touch(self.heartbeat_file)
        if self.tasks and now - self._claims_renewed_at >= JOB_CLAIM_SECONDS / 3:
            self._claims_renewed_at = now
            async with self.pool.pipeline(transaction=False) as pipe:
                for job_id in self.tasks:
                    pipe.pexpire(in_progress_key_prefix + job_id, int(JOB_CLAIM_SECONDS * 1000))
                await pipe.execute()


def load_settings(path: str) -> type:
    module, _, name = path.rpartition(".")
    settings: type = getattr(importlib.import_module(module), name)
    return settings


def next_backoff(previous: float | None, ran_seconds: float) -> float:
    """The wait before starting a process or worker again: 1 s, 2 s, 4 s ... at most 30 s while it keeps failing;
    1 s again once it had run healthy for a minute. Also ``deploy/supervise.py``'s rule."""
    if previous is None or ran_seconds > HEALTHY_AFTER_SECONDS:
        return BACKOFF_FIRST_SECONDS
    return min(BACKOFF_MAX_SECONDS, previous * 2)


async def _stop_worker(worker: Worker, main: asyncio.Task[None], wait_seconds: float) -> None:
    """Stop picking jobs, let running ones finish for ``wait_seconds``, cancel the rest, close the context.

    Unlike ``Worker.close`` this never needs Redis (it may be the reason we stop), and always runs
    ``on_shutdown`` so the engine and clients are closed before a new worker opens its own."""
    worker.allow_pick_jobs = False
    worker.ctx["stopping"] = True
    running = [task for task in worker.tasks.values() if not task.done()]
    if running:
        await asyncio.wait(running, timeout=wait_seconds)
    for task in [*worker.tasks.values(), main]:
        if not task.done():
            task.cancel()
    await asyncio.gather(*worker.tasks.values(), main, return_exceptions=True)
    if worker.on_shutdown and "settings" in worker.ctx:
        try:
            await worker.on_shutdown(worker.ctx)
        except Exception:
            log.exception("worker_shutdown_failed")
    if worker._pool is not None:  # arq offers no close that works without Redis
        with contextlib.suppress(Exception):
            await asyncio.wait_for(worker._pool.close(close_connection_pool=True), 5)
        worker._pool = None


async def serve(settings_cls: type, stop: asyncio.Event, heartbeat_file: Path | None = None, **overrides: Any) -> int:
    """Run workers of ``settings_cls`` one after another until ``stop`` is set; answers how many were started."""
    started = 0
    backoff: float | None = None
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        touch(heartbeat_file)
        worker = LeasedWorker(**{**get_kwargs(settings_cls), "handle_signals": False, **overrides})
        worker.heartbeat_file = heartbeat_file
        started += 1
        began = loop.time()
        main = asyncio.ensure_future(worker.main())
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait({main, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        failure = main.exception() if main.done() and not main.cancelled() else None
        await _stop_worker(worker, main, COMPLETION_WAIT_SECONDS)
        if stop.is_set():
            break
        backoff = next_backoff(backoff, loop.time() - began)
        log.warning(
            "worker_restarting in_seconds=%s error=%s",
            backoff,
            f"{type(failure).__name__}: {failure}" if failure else "the worker stopped",
        )
        touch(heartbeat_file)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), backoff)
    return started


async def _main(path: str) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    heartbeat = os.environ.get(HEARTBEAT_FILE_VARIABLE)
    await serve(load_settings(path), stop, Path(heartbeat) if heartbeat else None)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        raise SystemExit("usage: python -m shared.worker_process <package.module.WorkerSettings>")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    asyncio.run(_main(args[0]))


if __name__ == "__main__":
    main()
