"""Fixed-window counters in Redis: how many pages a link or an address may ask for, how many actions a link may
take, how many unknown links an address may try (no way to enumerate customers by guessing)."""

import time

from redis.asyncio import Redis


async def within_limit(redis: Redis, bucket: str, key: str, limit: int, window_seconds: int) -> bool:
    """Count this hit; False once ``limit`` hits were counted in the current window."""
    window = int(time.time()) // window_seconds
    name = f"portal:limit:{bucket}:{key}:{window}"
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incr(name)
        pipe.expire(name, window_seconds + 1)
        count, _ = await pipe.execute()
    return int(count) <= limit
