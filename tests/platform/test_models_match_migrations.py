"""Every service's models say what its migrations build: Alembic's ``compare_metadata`` between the migrated
database (tests/conftest.py upgrades an empty one to head) and each service's ``models.py``, one schema at a time.

A model that drifts from its migration misleads whoever reads it (and ``alembic revision --autogenerate``): fix the
model, never the migration. Alembic compares tables, columns (type, nullability, server default), indexes, unique
constraints and foreign keys; what it cannot see (CHECK constraints, triggers, functions) is not compared, so
nothing needs ignoring here today. Add an ignore only for what a model cannot say, with its reason."""

from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

import services.alarms.models
import services.dunning.models
import services.gateway.models
import services.messaging.models
import services.receivables.models
import services.webhooks.models

METADATA: dict[str, MetaData] = {
    "gateway": services.gateway.models.Base.metadata,
    "receivables": services.receivables.models.Base.metadata,
    "dunning": services.dunning.models.Base.metadata,
    "messaging": services.messaging.models.Base.metadata,
    "alarms": services.alarms.models.Base.metadata,
    "webhooks": services.webhooks.models.Base.metadata,
}


def _differences(connection: Any, schema: str) -> list[Any]:
    def only_this_schema(name: str | None, type_: str, parent_names: dict[str, str | None]) -> bool:
        return name == schema if type_ == "schema" else True

    opts = {"include_schemas": True, "include_name": only_this_schema}
    context = MigrationContext.configure(connection, opts=opts | {"compare_type": True, "compare_server_default": True})
    return compare_metadata(context, METADATA[schema])


def test_every_service_with_models_is_compared():
    """A new service's models are held to its migrations too: each ``services/*/models.py`` is listed above, and
    each lists only tables of its own schema."""
    services_dir = Path(__file__).resolve().parents[2] / "services"
    assert {path.parent.name for path in services_dir.glob("*/models.py")} == set(METADATA)
    for schema, metadata in METADATA.items():
        assert {table.schema for table in metadata.tables.values()} == {schema}


@pytest.mark.parametrize("schema", list(METADATA))
async def test_the_models_match_the_migrations(database, schema):
    engine = create_async_engine(database, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            differences = await conn.run_sync(_differences, schema)
    finally:
        await engine.dispose()
    assert differences == [], "the models differ from the migrations:\n" + "\n".join(map(repr, differences))
