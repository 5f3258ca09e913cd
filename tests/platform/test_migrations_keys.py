"""Migration 0021 (keys led by tenant_id) on a database that already holds data: up keeps every row and gives each
message's content its message's tenant; the new foreign keys refuse a child of another tenant; down gives back the
old keys with the rows."""

import uuid

import asyncpg
import pytest

from tests.conftest import TEST_DATABASE, TEST_SERVER
from tests.support import scratch_database

SCRATCH = f"{TEST_DATABASE}_keys"

# Each statement names its ids: t tenant, u user, c customer, i invoice, p payment, m message.
SEED = [
    (
        "INSERT INTO gateway.tenants (id, slug, name, country, timezone, default_currency, language, active) "
        "VALUES ($1, 'acme', 'Acme', 'AR', 'America/Argentina/Buenos_Aires', 'ARS', 'es', true)",
        "t",
    ),
    (
        "INSERT INTO gateway.users (id, tenant_id, email, full_name, password_hash, roles, active) "
        "VALUES ($1, $2, 'ana@acme.test', 'Ana', 'x', '{admin}', true)",
        "ut",
    ),
    (
        "INSERT INTO gateway.refresh_tokens (id, tenant_id, user_id, family_id, token_hash, expires_at) "
        "VALUES (gen_random_uuid(), $1, $2, gen_random_uuid(), 'hash', now() + interval '1 day')",
        "tu",
    ),
    ("INSERT INTO receivables.customers (id, tenant_id, name) VALUES ($1, $2, 'Cliente')", "ct"),
    (
        "INSERT INTO receivables.invoices (id, tenant_id, customer_id, number, currency, amount, open_amount, "
        "issue_date, due_date) VALUES ($1, $2, $3, 'F-1', 'ARS', 100, 60, '2026-11-01', '2026-11-30')",
        "itc",
    ),
    (
        "INSERT INTO receivables.payments (id, tenant_id, customer_id, currency, amount, unapplied_amount, "
        "payment_date) VALUES ($1, $2, $3, 'ARS', 40, 0, '2026-12-01')",
        "ptc",
    ),
    (
        "INSERT INTO receivables.payment_allocations (tenant_id, payment_id, invoice_id, amount, payment_date) "
        "VALUES ($1, $2, $3, 40, '2026-12-01')",
        "tpi",
    ),
    (
        "INSERT INTO receivables.promises (id, tenant_id, customer_id, invoice_id, promised_date, currency, amount, "
        "created_by) VALUES (gen_random_uuid(), $1, $2, $3, '2026-12-10', 'ARS', 60, 'test')",
        "tci",
    ),
    (
        "INSERT INTO messaging.messages (id, tenant_id, idempotency_key, source, kind, channel, language, "
        "to_address, timezone, state, scheduled_at) "
        "VALUES ($1, $2, 'k1', 'dunning', 'reminder', 'email', 'es', 'c@acme.test', 'UTC', 'sent', now())",
        "mt",
    ),
    ("INSERT INTO messaging.message_contents (message_id, payload) VALUES ($1, '{}')", "m"),
    (
        "INSERT INTO messaging.attempts (message_id, number, tenant_id, started_at, outcome) "
        "VALUES ($1, 1, $2, now(), 'sent')",
        "mt",
    ),
]
COUNTS = (
    "SELECT (SELECT count(*) FROM gateway.refresh_tokens) + (SELECT count(*) FROM receivables.payment_allocations)"
    " + (SELECT count(*) FROM receivables.promises) + (SELECT count(*) FROM messaging.message_contents)"
    " + (SELECT count(*) FROM messaging.attempts)"
)


async def test_keys_migration_on_a_database_with_data():
    ids = {name: uuid.uuid4() for name in "tucipm"}
    tenant, customer = ids["t"], ids["c"]
    async with scratch_database(TEST_SERVER, SCRATCH, "0020") as db:
        conn = db.conn
        async with conn.transaction():
            for statement, names in SEED:
                await conn.execute(statement, *(ids[name] for name in names))
        assert await conn.fetchval(COUNTS) == 5

        await db.migrate("head")
        assert await conn.fetchval(COUNTS) == 5
        assert await conn.fetchval("SELECT tenant_id FROM messaging.message_contents") == tenant
        with pytest.raises(asyncpg.ForeignKeyViolationError):  # the customer is another tenant's
            await conn.execute(
                "INSERT INTO receivables.notes (id, tenant_id, customer_id, body, author) "
                "VALUES (gen_random_uuid(), gen_random_uuid(), $1, 'x', 'test')",
                customer,
            )

        await db.migrate("0020", down=True)
        assert await conn.fetchval(COUNTS) == 5
        keys = await conn.fetch(
            "SELECT conname FROM pg_constraint WHERE conname IN ('pk_invoices', 'pk_message_contents') "
            "AND pg_get_constraintdef(oid) NOT LIKE '%tenant_id%'"
        )
        assert len(keys) == 2
