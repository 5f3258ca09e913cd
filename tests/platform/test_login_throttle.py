"""Failed logins are throttled per account and per address: 429 with Retry-After, exponential back-off, capped."""

import asyncio
import time

import pytest

from api_gateway.tokens.rules import backoff_schedule_ms, backoff_seconds
from api_gateway.tokens.throttle import LoginSubject, LoginThrottle
from shared.problems import TooManyRequests
from tests.platform.test_auth import assert_problem
from tests.support import PASSWORD, create_tenant

WRONG = "wrong-password"


def test_no_wait_below_the_free_failures_then_doubling_up_to_the_cap():
    assert [backoff_seconds(n, 5, 1.0, 900) for n in range(5)] == [0, 0, 0, 0, 0]
    assert [backoff_seconds(n, 5, 1.0, 900) for n in range(5, 10)] == [1, 2, 4, 8, 16]
    assert backoff_seconds(15, 5, 1.0, 900) == 900 and backoff_seconds(10_000, 5, 1.0, 900) == 900


def test_the_schedule_ends_at_the_cap():
    assert backoff_schedule_ms(3, 0.2, 1.0) == [200, 400, 800, 1000]
    assert backoff_schedule_ms(5, 1.0, 900)[-1] == 900_000 and len(backoff_schedule_ms(5, 1.0, 900)) == 11


@pytest.fixture
def throttled(api, stack, monkeypatch):
    """Three free failures per account, six per address, a 30 s first wait (so nothing here races the clock);
    X-Forwarded-For is trusted."""
    settings = stack.gateway.state.settings
    for name, value in (
        ("login_account_free_failures", 3),
        ("login_address_free_failures", 6),
        ("login_backoff_base_seconds", 30.0),
        ("trust_forwarded_for", True),
    ):
        monkeypatch.setattr(settings, name, value)
    return api


async def token(api, slug, username, password, address="203.0.113.7"):
    data = {"tenant": slug, "username": username, "password": password}
    return await api.post("/v1/auth/token", data=data, headers={"X-Forwarded-For": f"{address}, 10.0.0.1"})


async def wait_until_admitted(api, slug, username, password, address="203.0.113.7"):
    """Retry until the wait is over (bounded generously: the wait itself is well under a second)."""
    deadline = time.monotonic() + 30
    while True:
        response = await token(api, slug, username, password, address)
        if response.status_code != 429 or time.monotonic() > deadline:
            return response
        await asyncio.sleep(0.05)


async def test_throttle_engages_and_refuses_even_the_right_password(throttled):
    api = throttled
    tenant = await create_tenant(api)
    email = f"admin@{tenant.slug}.example"
    for _ in range(3):
        assert_problem(await token(api, tenant.slug, email, WRONG), 401)
    response = await token(api, tenant.slug, email, PASSWORD)
    body = assert_problem(response, 429)
    assert 1 <= int(response.headers["retry-after"]) <= 30 and "try again" in body["detail"]
    assert "429" in (await api.get("/openapi.json")).json()["paths"]["/v1/auth/token"]["post"]["responses"]


async def test_each_further_failure_doubles_the_wait_up_to_the_cap(throttled, stack, monkeypatch):
    """The store itself: a wait cut short by hand (as if it had passed), the next failure waits twice as long."""
    settings = stack.gateway.state.settings
    monkeypatch.setattr(settings, "login_backoff_max_seconds", 100.0)
    throttle = LoginThrottle(stack.redis, settings)
    subjects = [LoginSubject.of("acme", "ana@acme.example", f"203.0.113.{i}") for i in range(10)]
    account_wait = subjects[0].keys()[1]
    for subject in subjects[:3]:
        await throttle.attempt(subject)
    waits = []
    for subject in subjects[3:7]:
        waits.append(await stack.redis.pttl(account_wait))
        with pytest.raises(TooManyRequests):
            await throttle.attempt(subject)
        await stack.redis.delete(account_wait)
        await throttle.attempt(subject)
    waits.append(await stack.redis.pttl(account_wait))
    assert [round(w / 1000, -1) for w in waits] == [30, 60, 100, 100, 100]


async def test_the_throttle_releases_after_the_wait_and_a_success_resets_the_account(throttled, stack, monkeypatch):
    api = throttled
    monkeypatch.setattr(stack.gateway.state.settings, "login_backoff_base_seconds", 0.2)
    tenant = await create_tenant(api)
    email = f"admin@{tenant.slug}.example"
    for _ in range(3):
        assert_problem(await token(api, tenant.slug, email, WRONG), 401)
    assert_problem(await wait_until_admitted(api, tenant.slug, email, WRONG), 401)
    response = await wait_until_admitted(api, tenant.slug, email, PASSWORD)
    assert response.status_code == 200, response.text

    # The success reset the account: three failures again before any wait (from another address, since this
    # one has four failures of its six), then the fourth attempt waits.
    monkeypatch.setattr(stack.gateway.state.settings, "login_backoff_base_seconds", 30.0)
    for _ in range(3):
        assert_problem(await token(api, tenant.slug, email, WRONG, "203.0.113.8"), 401)
    assert_problem(await token(api, tenant.slug, email, PASSWORD, "203.0.113.8"), 429)


async def test_the_account_is_throttled_from_every_address_and_unknown_users_alike(throttled):
    api = throttled
    tenant = await create_tenant(api)
    for i in range(3):
        assert_problem(await token(api, tenant.slug, "nobody@x.example", WRONG, f"198.51.100.{i}"), 401)
    assert_problem(await token(api, tenant.slug, "nobody@x.example", WRONG, "198.51.100.9"), 429)
    assert_problem(await token(api, tenant.slug, "NOBODY@x.example", WRONG, "198.51.100.9"), 429)
    # Another account of the same tenant is not affected.
    response = await token(api, tenant.slug, f"admin@{tenant.slug}.example", PASSWORD, "198.51.100.9")
    assert response.status_code == 200, response.text


async def test_an_address_is_throttled_after_its_own_higher_count(throttled):
    api = throttled
    tenant = await create_tenant(api)
    for i in range(6):  # six accounts, one failure each: no account waits, the address does
        assert_problem(await token(api, tenant.slug, f"user{i}@x.example", WRONG), 401)
    admin = f"admin@{tenant.slug}.example"
    assert_problem(await token(api, tenant.slug, admin, PASSWORD), 429)
    assert (await token(api, tenant.slug, admin, PASSWORD, "192.0.2.44")).status_code == 200


async def test_x_forwarded_for_is_ignored_unless_trusted(throttled, stack, monkeypatch):
    api = throttled
    monkeypatch.setattr(stack.gateway.state.settings, "trust_forwarded_for", False)
    tenant = await create_tenant(api)
    for i in range(6):  # a different X-Forwarded-For each time, but one peer
        assert_problem(await token(api, tenant.slug, f"user{i}@x.example", WRONG, f"198.51.100.{i}"), 401)
    assert_problem(await token(api, tenant.slug, f"admin@{tenant.slug}.example", PASSWORD, "192.0.2.44"), 429)


async def test_parallel_guesses_cannot_slip_in_before_the_wait(throttled):
    api = throttled
    tenant = await create_tenant(api)
    email = f"admin@{tenant.slug}.example"
    responses = await asyncio.gather(*(token(api, tenant.slug, email, WRONG) for _ in range(12)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [401] * 3 + [429] * 9


async def test_counts_expire_after_a_quiet_window(throttled, stack):
    api = throttled
    tenant = await create_tenant(api)
    email = f"admin@{tenant.slug}.example"
    assert_problem(await token(api, tenant.slug, email, WRONG), 401)
    ttls = [await stack.redis.ttl(key) async for key in stack.redis.scan_iter("login:*:n")]
    assert ttls and all(0 < ttl <= 3600 for ttl in ttls)


async def test_without_redis_logins_go_on_unthrottled(stack):
    from redis.asyncio import Redis

    from tests.support import free_port

    redis = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=5)
    throttle = LoginThrottle(redis, stack.gateway.state.settings)
    subject = LoginSubject.of("acme", "ana@acme.example", "203.0.113.7")
    for _ in range(10):
        await throttle.attempt(subject)
    await throttle.succeeded(subject)
    await redis.aclose()
