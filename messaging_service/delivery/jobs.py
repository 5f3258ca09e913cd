"""Starting the deliver jobs (shared by the acceptance handler and the dispatch cron)."""

from typing import Any

from shared.outbox import queue_name

DELIVER = "messaging.deliver"


async def start_deliveries(redis: Any, parallelism: int) -> None:
    """One job per slot: the id makes a slot already queued or running a no-op."""
    for slot in range(parallelism):
        await redis.enqueue_job(DELIVER, _job_id=f"messaging:deliver:{slot}", _queue_name=queue_name("messaging"))
