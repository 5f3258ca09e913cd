"""Per-API-key rate limit in Redis: a fixed one-minute window, one round trip per request."""

import time

from redis.asyncio import Redis

from shared.problems import TooManyRequests

WINDOW_SECONDS = 60


async def check_rate_limit(redis: Redis, key_id: str, limit_per_minute: int) -> None:
    """Count this request in the key's current window; over the limit -> 429 with ``Retry-After``."""
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    counter = f"ratelimit:{key_id}:{window}"
    async with redis.pipeline(transaction=False) as pipe:
        pipe.incr(counter)
        pipe.expire(counter, WINDOW_SECONDS + 5)
        count, _ = await pipe.execute()
    if count > limit_per_minute:
        retry_after = max(1, int((window + 1) * WINDOW_SECONDS - now) + 1)
        raise TooManyRequests(
            f"The API key may make {limit_per_minute} requests a minute",
            headers={"Retry-After": str(retry_after)},
            limit=limit_per_minute,
        )
