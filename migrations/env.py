"""One Alembic environment for every service schema.

Migrations are written by hand (static and reversible), one linear history; each revision touches one
service's schema and says which in its name. The database URL comes from the same settings the services
use (``COBRANZA_DATABASE_URL``), or ``alembic -x url=...``.
"""

import asyncio

from alembic import context
from sqlalchemy.ext.asyncio import create_async_engine

import alarms_service.models
import api_gateway.models
import dunning_service.models
import messaging_service.models
import services.portal.models
import services.receivables.models
import services.webhooks.models
from shared.settings import ServiceSettings

config = context.config
target_metadata = [
    api_gateway.models.Base.metadata,
    services.receivables.models.Base.metadata,
    dunning_service.models.Base.metadata,
    messaging_service.models.Base.metadata,
    alarms_service.models.Base.metadata,
    services.webhooks.models.Base.metadata,
    services.portal.models.Base.metadata,
]


def database_url() -> str:
    return context.get_x_argument(as_dictionary=True).get("url") or ServiceSettings().database_url


def run_migrations(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_schemas=True,
        version_table_schema="public",
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_online() -> None:
    engine = create_async_engine(database_url())
    async with engine.connect() as connection:
        await connection.run_sync(run_migrations)
        await connection.commit()
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=database_url(), target_metadata=target_metadata, literal_binds=True, include_schemas=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(run_online())
