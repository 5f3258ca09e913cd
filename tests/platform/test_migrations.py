"""One Alembic history for every schema: up from empty, down to nothing, and up again."""

import asyncpg

from tests.conftest import TEST_DATABASE, TEST_SERVER
from tests.support import SCHEMAS, migrate, recreate_database

SCRATCH = f"{TEST_DATABASE}_migrations"


async def schemas_and_tables(dsn: str) -> tuple[set[str], int]:
    conn = await asyncpg.connect(dsn)
    try:
        schemas = {r[0] for r in await conn.fetch("SELECT schema_name FROM information_schema.schemata")}
        tables = await conn.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname = ANY($1::text[])", list(SCHEMAS))
    finally:
        await conn.close()
    return schemas, tables


async def test_upgrade_from_empty_downgrade_to_base_and_again():
    await recreate_database(TEST_SERVER, SCRATCH)
    url = f"postgresql+asyncpg://{TEST_SERVER}/{SCRATCH}"
    dsn = f"postgresql://{TEST_SERVER}/{SCRATCH}"

    await migrate(url, "head")
    schemas, first = await schemas_and_tables(dsn)
    assert set(SCHEMAS) <= schemas and first >= 2 * len(SCHEMAS)  # at least an outbox and an inbox each

    await migrate(url, "base", down=True)
    schemas, tables = await schemas_and_tables(dsn)
    assert not set(SCHEMAS) & schemas and tables == 0

    await migrate(url, "head")
    schemas, again = await schemas_and_tables(dsn)
    assert set(SCHEMAS) <= schemas and again == first
