"""``cobranza-admin``: operator tasks that need no running HTTP service (here, in the gateway, because creating a
tenant is the gateway's; ``shared`` imports no service).

    cobranza-admin create-tenant --slug acme --name "Acme S.A." --country AR \\
        --timezone America/Argentina/Buenos_Aires --currency ARS --admin-email admin@acme.example
    cobranza-admin dead-letters receivables          # messages a consumer gave up on, with their error
    cobranza-admin replay receivables [--id UUID]    # put them back on the service's queue
"""

import argparse
import asyncio
import getpass
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text

import shared.contracts  # noqa: F401  (registers every message class)
from api_gateway.tenants.schemas import AdminUserIn, TenantCreate
from api_gateway.tenants.service import create_tenant as create
from shared.db import create_engine, create_sessionmaker, unit_of_work
from shared.outbox import HANDLE_MESSAGES, queue_name
from shared.settings import ServiceSettings
from shared.worker import deserialize_job, redis_settings, serialize_job

SCHEMAS = ("gateway", "receivables", "dunning", "messaging", "alarms")


async def create_tenant(args: argparse.Namespace) -> None:
    data = TenantCreate(
        slug=args.slug,
        name=args.name,
        country=args.country,
        timezone=args.timezone,
        default_currency=args.currency,
        language=args.language,
        admin=AdminUserIn(
            email=args.admin_email,
            full_name=args.admin_name,
            password=args.admin_password or getpass.getpass("admin password: "),
        ),
    )
    engine = create_engine(ServiceSettings())
    try:
        async with unit_of_work(create_sessionmaker(engine)) as session:
            tenant, admin = await create(session, data)
    finally:
        await engine.dispose()
    print(f"tenant {tenant.slug} {tenant.id}; admin {admin.email} {admin.id}")


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A message a service's consumer gave up on: its inbox row."""

    message_id: uuid.UUID
    message_type: str
    processed_at: datetime
    error: str
    envelope: dict[str, Any]


async def _dead_letters(schema: str, message_id: uuid.UUID | None) -> list[DeadLetter]:
    engine = create_engine(ServiceSettings())
    try:
        async with engine.connect() as conn:
            query = (
                "SELECT message_id, message_type, processed_at, error, envelope "
                f"FROM {schema}.inbox WHERE error IS NOT NULL"
            )
            if message_id:
                query += " AND message_id = :id"
            rows = (await conn.execute(text(query + " ORDER BY processed_at"), {"id": message_id})).all()
            return [DeadLetter(*row) for row in rows]
    finally:
        await engine.dispose()


async def list_dead_letters(args: argparse.Namespace) -> None:
    for row in await _dead_letters(args.service, None):
        print(f"{row.processed_at:%Y-%m-%d %H:%M:%S} {row.message_id} {row.message_type}: {row.error}")


async def replay(args: argparse.Namespace) -> None:
    """Forget the failed attempt in the inbox and enqueue the envelope again: the consumer runs it afresh."""
    from arq import create_pool

    settings = ServiceSettings()
    rows = await _dead_letters(args.service, args.id)
    redis = await create_pool(
        redis_settings(settings.redis_url),
        job_serializer=serialize_job,
        job_deserializer=deserialize_job,
    )
    engine = create_engine(settings)
    try:
        for row in rows:
            async with engine.begin() as conn:
                await conn.execute(
                    text(f"DELETE FROM {args.service}.inbox WHERE message_id = :id AND error IS NOT NULL"),
                    {"id": row.message_id},
                )
            await redis.enqueue_job(HANDLE_MESSAGES, [row.envelope], _queue_name=queue_name(args.service))
            print(f"replayed {row.message_id} {row.message_type}")
    finally:
        await engine.dispose()
        await redis.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="cobranza-admin", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    tenant = commands.add_parser("create-tenant", help="create a tenant and its first admin")
    for name in ("--slug", "--name", "--country", "--timezone", "--currency", "--admin-email"):
        tenant.add_argument(name, required=True)
    tenant.add_argument("--language", default="es")
    tenant.add_argument("--admin-name", default="Administrator")
    tenant.add_argument("--admin-password", help="asked for when left out")
    tenant.set_defaults(run=create_tenant)
    dead = commands.add_parser("dead-letters", help="list the messages a service's consumer gave up on")
    dead.add_argument("service", choices=SCHEMAS)
    dead.set_defaults(run=list_dead_letters)
    again = commands.add_parser("replay", help="enqueue dead letters again")
    again.add_argument("service", choices=SCHEMAS)
    again.add_argument("--id", type=uuid.UUID, help="only this message")
    again.set_defaults(run=replay)
    args = parser.parse_args()
    asyncio.run(args.run(args))


if __name__ == "__main__":
    main()
