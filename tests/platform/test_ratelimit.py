"""Per-API-key rate limits counted in Redis: 429 with Retry-After, exact near the limit."""

from api_gateway.limits.rules import MAX_SLICE, slice_size
from tests.platform.test_auth import assert_problem
from tests.support import create_api_key, create_tenant


def test_reservations_shrink_to_one_request_near_the_limit():
    assert slice_size(1_000_000, 0) == MAX_SLICE
    assert slice_size(100, 0) == 5
    assert slice_size(100, 90) == 1
    assert slice_size(3, 0) == 1
    assert slice_size(3, 5) == 1


async def test_over_the_limit_is_429_with_retry_after(api):
    tenant = await create_tenant(api)
    key = await create_api_key(api, tenant, rate_limit_per_minute=3)
    other = await create_api_key(api, tenant, rate_limit_per_minute=3)
    for _ in range(3):
        assert (await api.get("/v1/customers", headers=key)).status_code == 200
    response = await api.get("/v1/customers", headers=key)
    body = assert_problem(response, 429)
    assert 1 <= int(response.headers["retry-after"]) <= 61 and body["limit"] == 3
    assert (await api.get("/v1/customers", headers=other)).status_code == 200


async def test_the_limit_is_shared_by_gateway_replicas(api, stack):
    """Two limiters (two replicas) on one Redis never let more than the limit through."""
    from api_gateway.limits.ratelimit import RateLimiter
    from shared.problems import TooManyRequests

    replicas = [RateLimiter(stack.redis), RateLimiter(stack.redis)]
    allowed = 0
    for i in range(40):
        try:
            await replicas[i % 2].check("shared-key", 25)
            allowed += 1
        except TooManyRequests:
            pass
    assert allowed == 25
