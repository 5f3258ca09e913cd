"""Every service's models say what its migrations build, one schema at a time, two ways:

- Alembic's ``compare_metadata`` between the migrated database (tests/conftest.py upgrades an empty one to head)
  and each service's ``models.py``: tables, columns (type, nullability, server default), indexes, unique
  constraints, foreign keys;
- PostgreSQL's own catalog, for what Alembic does not compare: the models are created (``create_all``) in a scratch
  database and each table's columns, constraints (names, CHECKs, primary keys) and indexes (partial ones' WHERE,
  expressions, methods) must read back exactly as the migrated ones, as PostgreSQL prints them.

A model that drifts from its migration misleads whoever reads it (and ``alembic revision --autogenerate``): fix the
model, never the migration. Not compared, because a model cannot say them: functions and triggers (receivables'
``uuid7()``, the invoice status announcement), table storage settings (fillfactor, column compression). Nothing else
is ignored."""

import importlib
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool
from sqlalchemy.schema import CreateSchema

import alarms_service.models
import api_gateway.models
import dunning_service.models
import messaging_service.models
import services.portal.models
import services.receivables.models
import services.webhooks.models
from tests.conftest import TEST_DATABASE, TEST_SERVER
from tests.support import recreate_database

METADATA: dict[str, MetaData] = {
    "gateway": api_gateway.models.Base.metadata,
    "receivables": services.receivables.models.Base.metadata,
    "dunning": dunning_service.models.Base.metadata,
    "messaging": messaging_service.models.Base.metadata,
    "alarms": alarms_service.models.Base.metadata,
    "webhooks": services.webhooks.models.Base.metadata,
    "portal": services.portal.models.Base.metadata,
}
SCRATCH = f"{TEST_DATABASE}_models"


def test_every_service_with_models_is_compared():
    """A new service's models are held to its migrations too: every ``models.py`` of a service (the top-level
    ``*_service``/``api_gateway`` packages and ``services/*``) is listed above, each with its own schema's tables
    only."""
    root = Path(__file__).resolve().parents[2]
    found = [*root.glob("services/*/models.py"), *root.glob("*_service/models.py"), root / "api_gateway/models.py"]
    assert {module.SCHEMA for module in map(_models_module, found)} == set(METADATA)
    for schema, metadata in METADATA.items():
        assert {table.schema for table in metadata.tables.values()} == {schema}


def _models_module(path: Path) -> Any:
    """The imported models module of a ``models.py`` path (its schema is ``SCHEMA``)."""
    root = Path(__file__).resolve().parents[2]
    return importlib.import_module(".".join(path.relative_to(root).with_suffix("").parts))


def _differences(connection: Any, schema: str) -> list[Any]:
    def only_this_schema(name: str | None, type_: str, parent_names: dict[str, str | None]) -> bool:
        return name == schema if type_ == "schema" else True

    opts = {"include_schemas": True, "include_name": only_this_schema}
    context = MigrationContext.configure(connection, opts=opts | {"compare_type": True, "compare_server_default": True})
    return compare_metadata(context, METADATA[schema])


@pytest.mark.parametrize("schema", list(METADATA))
async def test_alembic_finds_nothing_to_migrate(database, schema):
    engine = create_async_engine(database, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            differences = await conn.run_sync(_differences, schema)
    finally:
        await engine.dispose()
    assert differences == [], "the models differ from the migrations:\n" + "\n".join(map(repr, differences))


CATALOG = {
    "column": """
        SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
               pg_get_expr(d.adbin, d.adrelid), a.attidentity::text, a.attgenerated::text
        FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped""",
    "constraint": """
        SELECT c.relname, k.conname, pg_get_constraintdef(k.oid)
        FROM pg_constraint k
        JOIN pg_class c ON c.oid = k.conrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1""",
    "index": """
        SELECT c.relname, pg_get_indexdef(i.indexrelid)
        FROM pg_index i
        JOIN pg_class c ON c.oid = i.indexrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1""",
}


async def catalog(database: str, schema: str) -> set[tuple[Any, ...]]:
    """The schema's columns, constraints and indexes as PostgreSQL prints them (columns in any order)."""
    conn = await asyncpg.connect(f"postgresql://{TEST_SERVER}/{database}")
    try:
        return {(kind, *row) for kind, query in CATALOG.items() for row in await conn.fetch(query, schema)}
    finally:
        await conn.close()


@pytest.fixture(scope="module")
async def modelled_database() -> str:
    """A scratch database holding what the models alone create."""
    await recreate_database(TEST_SERVER, SCRATCH)
    engine = create_async_engine(f"postgresql+asyncpg://{TEST_SERVER}/{SCRATCH}", poolclass=NullPool)
    try:
        async with engine.begin() as conn:
            for schema, metadata in METADATA.items():
                await conn.execute(CreateSchema(schema))
                await conn.run_sync(metadata.create_all)
    finally:
        await engine.dispose()
    return SCRATCH


@pytest.mark.parametrize("schema", list(METADATA))
async def test_postgresql_reads_the_models_as_the_migrations(database, modelled_database, schema):
    migrated, modelled = await catalog(TEST_DATABASE, schema), await catalog(modelled_database, schema)
    differences = [f"migrations only: {row}" for row in sorted(migrated - modelled, key=repr)]
    differences += [f"models only:     {row}" for row in sorted(modelled - migrated, key=repr)]
    assert not differences, "the models differ from the migrations:\n" + "\n".join(differences)
