"""When a gateway process may trust the identities it cached: the identity generation.

Every committed change of a user, key or tenant bumps a counter in Redis (``GENERATION_KEY``) and announces the
new value on a channel (``CHANGES_CHANNEL``). Each process listens on the channel and drops its cached identities
as soon as it hears a new value, so a request reads nothing from Redis (a round trip per request cost the gateway a
seventh of its CPU and a hop of latency). How stale a process can be:

- The changing request answers only once its own process heard the announcement (at most ``ECHO_SECONDS``), and
  Redis hands an announcement to every listener at once: the caller's next request finds every process told.
- An announcement lost on the way (a listener's connection broke at that moment) is caught by the listener's
  read of the counter every ``identity_check_seconds``.
- While a process's listener is not connected, or has not confirmed the counter for twice that time, each request
  reads the counter itself (what every request did before); with Redis out of reach, nothing cached is trusted
  and every request reads the database.
"""

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

GENERATION_KEY = "gateway:identity-generation"
CHANGES_CHANNEL = "gateway:identity-changes"  # each message: the generation after a change
ECHO_SECONDS = 1.0
RETRY_SECONDS = 0.5


class IdentityGeneration:
    """The generation this process's caches belong to, kept by a listener; ``epoch`` moves (and ``on_change``
    runs) whenever the generation moves or cannot be known, so a value read from the database before the move is
    never cached after it (``valid``)."""

    def __init__(self, redis: Redis, check_seconds: float, on_change: Callable[[], None]) -> None:
        self.redis = redis
        self.check_seconds = check_seconds
        self.on_change = on_change
        self.epoch = 0
        self._value: int | None = None  # None: unknown, nothing cached may be trusted
        self._heard_at = -math.inf  # when the listener last confirmed the value
        self._heard = 0  # the last value the listener heard
        self._news = asyncio.Event()
        self._listener: asyncio.Task[None] | None = None

    async def current(self) -> int | None:
        """The epoch to cache under now; None when nothing cached may be trusted (read the database)."""
        if time.monotonic() - self._heard_at < 2 * self.check_seconds:
            return self.epoch
        try:
            value = int(await self.redis.get(GENERATION_KEY) or 0)
        except RedisError:
            self._observe(None)
            return None
        self._observe(value)
        return self.epoch

    def valid(self, epoch: int | None) -> bool:
        """Whether a value read from the database in ``epoch`` may be cached (nothing moved meanwhile)."""
        return epoch is not None and epoch == self.epoch and self._value is not None

    async def bump(self) -> None:
        """After a committed change: drop this process's cache, move the generation and announce it, then wait
        until this process heard it (see the module's docstring)."""
        self.epoch += 1
        self.on_change()
        try:
            value = await self.redis.incr(GENERATION_KEY)
            await self.redis.publish(CHANGES_CHANNEL, value)
        except RedisError:
            logger.warning("identity generation not bumped: other gateways see the change within their cache time")
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(ECHO_SECONDS):
                while self.listening and self._heard < value:
                    await self._news.wait()

    @property
    def listening(self) -> bool:
        return self._listener is not None and not self._listener.done()

    def start(self) -> None:
        """Start the listener (for the app's life)."""
        self._listener = asyncio.get_running_loop().create_task(self._listen(), name="identity-generation")

    async def aclose(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None

    def _observe(self, value: int | None) -> None:
        if value is None or value != self._value:
            self._value = value
            self.epoch += 1
            self.on_change()

    def _hear(self, value: int) -> None:
        self._observe(value)
        self._heard, self._heard_at = value, time.monotonic()
        news, self._news = self._news, asyncio.Event()
        news.set()

    async def _listen(self) -> None:
        while True:
            pubsub = self.redis.pubsub()
            try:
                await pubsub.subscribe(CHANGES_CHANNEL)
                while await pubsub.get_message(timeout=self.check_seconds) is None:
                    pass  # the subscription is confirmed: from here on no announcement can pass unheard
                self._hear(int(await self.redis.get(GENERATION_KEY) or 0))
                while True:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=self.check_seconds)
                    if message is None:  # quiet for a while: confirm the counter (an announcement may have been lost)
                        self._hear(int(await self.redis.get(GENERATION_KEY) or 0))
                    else:
                        self._hear(int(message["data"]))
            except (RedisError, OSError, ValueError) as exc:
                self._heard_at = -math.inf  # requests read the counter themselves meanwhile
                logger.warning("identity generation listener interrupted: %s", type(exc).__name__)
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]  # redis-py leaves it unannotated
            await asyncio.sleep(RETRY_SECONDS)
