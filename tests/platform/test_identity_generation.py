"""The identity generation (api_gateway.identity.generation): each gateway process hears every change announced
by another without reading Redis per request, catches a lost announcement within identity_check_seconds, and reads the
counter per request whenever its listener is not confirmed. Real Redis (the tests' database of it)."""

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import Redis

from api_gateway.identity.generation import GENERATION_KEY, IdentityGeneration


class CountingRedis(Redis):
    """A real Redis client that counts its GETs (how often a process read the counter itself)."""

    gets = 0

    async def get(self, name):  # type: ignore[override]
        self.gets += 1
        return await super().get(name)


@asynccontextmanager
async def process(check_seconds: float = 1.0) -> AsyncIterator[tuple[IdentityGeneration, CountingRedis, list]]:
    """One gateway process's generation with its listener running; ``dropped`` counts its cache drops."""
    redis = CountingRedis.from_url(os.environ["COBRANZA_REDIS_URL"])
    dropped: list[int] = []
    generation = IdentityGeneration(redis, check_seconds, lambda: dropped.append(1))
    generation.start()
    try:
        for _ in range(200):  # the listener confirmed the counter
            if generation.listening and generation._heard_at > 0:
                break
            await asyncio.sleep(0.01)
        yield generation, redis, dropped
    finally:
        await generation.aclose()
        await redis.aclose()


async def test_a_change_elsewhere_is_heard_before_the_changing_request_answers(stack):
    async with process() as (first, first_redis, _), process() as (second, _, dropped):
        epoch = await second.current()
        reads = first_redis.gets
        for _ in range(20):
            before = await second.current()
            await first.bump()  # what a revoke on the first process does before it answers
            assert await second.current() != before, "the second process still trusts its cache"
        assert dropped, "the second process dropped its cache"
        assert await second.current() != epoch
        # requests read nothing from Redis: the listener keeps the generation (a GET per quiet second at most)
        for _ in range(1000):
            await first.current()
        assert first_redis.gets - reads <= 2


async def test_a_lost_announcement_is_caught_within_the_check_time(stack):
    async with process(check_seconds=0.2) as (generation, _, _):
        epoch = await generation.current()
        await stack.redis.incr(GENERATION_KEY)  # a change whose announcement never came
        await asyncio.sleep(0.6)
        assert await generation.current() != epoch


async def test_without_a_listener_every_request_reads_the_counter(stack):
    redis = CountingRedis.from_url(os.environ["COBRANZA_REDIS_URL"])
    generation = IdentityGeneration(redis, 1.0, lambda: None)
    try:
        epoch = await generation.current()
        assert generation.valid(epoch)
        await stack.redis.incr(GENERATION_KEY)
        assert await generation.current() != epoch and not generation.valid(epoch)
        assert redis.gets == 2
    finally:
        await redis.aclose()
