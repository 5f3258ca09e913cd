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
os.environ.setdefault("COBRANZA_LOG_LEVEL", "WARNING")

from collections.abc import AsyncIterator  # noqa: E402

import pytest  # noqa: E402

from tests.support import (  # noqa: E402
    Stack,
    create_stack,
    free_port,
    migrate,
    recreate_database,
    reset_state,
    serve_on_loopback,
)


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
