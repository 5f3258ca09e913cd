"""Test set-up: a real PostgreSQL database migrated with the real migrations, a real Redis database.

Several checkouts may test at once on one machine: each picks its own database and Redis db with
``COBRANZA_TEST_DATABASE`` and ``COBRANZA_TEST_REDIS_DB``. Under pytest-xdist (``make test`` runs two workers)
each worker takes a database and a Redis db of its own beside those: ``<database>_gw1`` and ``<redis db> - 1``.
"""

import os

TEST_SERVER = os.environ.get("COBRANZA_TEST_SERVER", "postgres@127.0.0.1:5432")
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")  # gw0, gw1, ... when pytest-xdist runs the tests
_WORKER_INDEX = int(XDIST_WORKER[2:]) if XDIST_WORKER else 0
TEST_DATABASE = os.environ.get("COBRANZA_TEST_DATABASE", "cobranza_test") + (f"_{XDIST_WORKER}" if XDIST_WORKER else "")
TEST_REDIS = os.environ.get("COBRANZA_TEST_REDIS", "127.0.0.1:6379")
TEST_REDIS_DB = str(int(os.environ.get("COBRANZA_TEST_REDIS_DB", "15")) - _WORKER_INDEX)
os.environ["COBRANZA_DATABASE_URL"] = f"postgresql+asyncpg://{TEST_SERVER}/{TEST_DATABASE}"
os.environ["COBRANZA_REDIS_URL"] = f"redis://{TEST_REDIS}/{TEST_REDIS_DB}"
os.environ["COBRANZA_RELAY_ENABLED"] = "false"  # tests relay explicitly, when they mean to
# Passwords hashed with argon2id's cheapest parameters (refused outside development): the suite creates and logs in
# thousands of users, and at the real cost (0.12 s of CPU each way) that was half the time of the service tests.
# The processes the tests start inherit it; tests/platform/test_auth.py holds the real cost to the default.
os.environ["GATEWAY_PASSWORD_HASHING"] = "cheapest"
os.environ.setdefault("COBRANZA_LOG_LEVEL", "WARNING")

import functools  # noqa: E402
import ssl  # noqa: E402
from collections.abc import AsyncIterator  # noqa: E402
from typing import Any  # noqa: E402

import httpx._transports.default  # noqa: E402
import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

from tests.support import (  # noqa: E402
    Stack,
    create_stack,
    free_port,
    migrate,
    recreate_database,
    reset_state,
    serve_on_loopback,
)

# Property tests are bounded by their number of examples, never by the clock: on a busy 2-core machine one draw
# or one example may take a second (Hypothesis's default deadline is 200 ms and its health check fails slow
# input generation).
settings.register_profile("cobranza", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("cobranza")

# httpx reads the whole CA bundle into a new SSL context for every transport it creates (~25 ms of CPU): each
# service's worker builds its HTTP client at start, and the tests start burst workers thousands of times (a third
# of an empty burst's time). In the test process the default context is read once and shared; a client given
# its own ``verify`` or ``cert`` still gets a context of its own. The suite makes no TLS connection.
_create_ssl_context = httpx._transports.default.create_ssl_context


@functools.cache
def _default_ssl_context(trust_env: bool) -> ssl.SSLContext:
    return _create_ssl_context(verify=True, cert=None, trust_env=trust_env)


def _ssl_context_read_once(verify: Any = True, cert: Any = None, trust_env: bool = True) -> ssl.SSLContext:
    if verify is True and cert is None:
        return _default_ssl_context(trust_env)
    return _create_ssl_context(verify=verify, cert=cert, trust_env=trust_env)


httpx._transports.default.create_ssl_context = _ssl_context_read_once  # type: ignore[assignment]


@pytest.fixture(scope="session")
async def database() -> str:
    await recreate_database(TEST_SERVER, TEST_DATABASE)
    await migrate(os.environ["COBRANZA_DATABASE_URL"], "head")
    return os.environ["COBRANZA_DATABASE_URL"]


@pytest.fixture(scope="session")
async def stack(database: str):
    async with create_stack() as stack:
        yield stack


@pytest.fixture
async def api(stack: Stack):
    """A clean system and an HTTP client on the gateway."""
    await reset_state(stack)
    return stack.client


@pytest.fixture
async def gateway_url(api, stack) -> AsyncIterator[str]:
    """The test stack's gateway (its services in process) on a real port."""
    async with serve_on_loopback(stack.gateway, free_port()) as url:
        yield url


# The files that take the longest, longest first (a full run's durations, 7 December 2026: 300, 290, 137, 134, 67,
# 47 and 46 s of a worker's time). ``make test`` hands whole files to two workers (``--dist loadfile
# --no-loadscope-reorder``) in collection order: a long file handed out last keeps one worker busy after the other
# has finished, as pytest-xdist's own order (the files with the most tests first) did with the fuzzer, one test
# that ran alone for its last five minutes. Every other file keeps its place after these.
LONG_FILES = (
    "tests/platform/test_api_fuzz",
    "tests/platform/test_faults.py",
    "tests/clock/test_ninety_days.py",
    "tests/platform/test_docs_browser.py",
    "tests/platform/test_isolation.py",
    "tests/dunning/test_calendar_90_days.py",
    "tests/portal/test_browser.py",
)


def _long_file_rank(item: pytest.Item) -> int:
    path = item.nodeid.split("::", 1)[0]
    return next((rank for rank, prefix in enumerate(LONG_FILES) if path.startswith(prefix)), len(LONG_FILES))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=_long_file_rank)  # stable: the files' own order and their tests' order are kept
