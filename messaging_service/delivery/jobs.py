"""Starting the deliver jobs (shared by the acceptance handler and the dispatch cron)."""

import time
from typing import Any

from shared.outbox import queue_name

DELIVER = "messaging.deliver"
# A slot's job id changes every this many seconds: an id never stays blocked by a job that died (arq keeps a dead
# job's in-progress key until its timeout, and a failed result for an hour), yet the kicks of one moment coalesce.
SLOT_PERIOD_SECONDS = 10


def deliver_job_id(slot: int, now: float) -> str:
    return f"messaging:deliver:{slot}:{int(now // SLOT_PERIOD_SECONDS)}"


async def start_deliveries(redis: Any, parallelism: int) -> None:
    """One job per slot and period: a slot already queued or running in this period is a no-op. Jobs of the next
    period may run beside this one's; they take different messages (``SKIP LOCKED``)."""
    now = time.time()
    for slot in range(parallelism):
        await redis.enqueue_job(DELIVER, _job_id=deliver_job_id(slot, now), _queue_name=queue_name("messaging"))
