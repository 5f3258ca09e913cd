"""Per-API-key rate limit, counted in Redis per one-minute window (shared by every gateway replica).

A Redis round trip per request would cost the gateway a tenth of its CPU, so a replica reserves a slice of
the key's budget with one ``INCRBY`` and spends it locally. The slice shrinks as the budget runs out and is
one request near the limit, so the limit is exact where it matters; a reservation a replica did not spend
before the window ended is only lost budget, never extra requests.
"""

import time
from dataclasses import dataclass

from redis.asyncio import Redis

from api_gateway.limits.rules import slice_size
from shared.problems import TooManyRequests

WINDOW_SECONDS = 60


@dataclass
class _Reservation:
    window: int
    granted: int = 0
    spent: int = 0
    seen_total: int = 0


class RateLimiter:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._reservations: dict[str, _Reservation] = {}

    async def check(self, key_id: str, limit: int) -> None:
        """Count one request of ``key_id``; over ``limit`` in the window -> 429 with ``Retry-After``."""
        now = time.time()
        window = int(now // WINDOW_SECONDS)
        reservation = self._reservations.get(key_id)
        if reservation is None or reservation.window != window:
            reservation = self._reservations[key_id] = _Reservation(window)
        if reservation.spent < reservation.granted:
            reservation.spent += 1
            return
        wanted = slice_size(limit, reservation.seen_total)
        counter = f"ratelimit:{key_id}:{window}"
        total = await self.redis.incrby(counter, wanted)
        if total == wanted:  # the window's first reservation sets its expiry
            await self.redis.expire(counter, WINDOW_SECONDS + 5)
        reservation.seen_total = total
        reservation.granted += max(0, min(wanted, limit - (total - wanted)))
        if reservation.spent < reservation.granted:
            reservation.spent += 1
            return
        retry_after = max(1, int((window + 1) * WINDOW_SECONDS - now) + 1)
        raise TooManyRequests(
            f"The API key may make {limit} requests a minute",
            headers={"Retry-After": str(retry_after)},
            limit=limit,
        )
