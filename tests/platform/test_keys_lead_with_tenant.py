"""Every key of the migrated schemas leads with tenant_id (issue 13, point 4), so the data can be distributed by
tenant (Citus, docs/scaling.md) without reshaping a table: primary keys, unique constraints and unique indexes (the
ON CONFLICT targets) and foreign keys on both sides. A key that is global on purpose is in ALLOWED, with why."""

import asyncpg
from sqlalchemy.engine import make_url

from tests.support import SCHEMAS

# (table, constraint or index) -> why it is not led by tenant_id; "*" stands for every key of the table.
ALLOWED = {
    ("gateway.tenants", "*"): "the tenant directory itself: a reference table, keyed by the tenant's own id",
    ("gateway.api_keys", "uq_api_keys_key_hash"): "authentication finds the tenant from the key's hash",
    ("gateway.refresh_tokens", "uq_refresh_tokens_token_hash"): "a refresh finds the tenant from the token's hash",
    ("gateway.webhook_requests", "*"): "providers' callbacks, stored before the tenant is known (tenant_id is null)",
    ("portal.links", "uq_links_token_hash"): "a debtor's link finds the tenant from the token's hash",
    ("portal.checkouts", "uq_checkouts_preference_id"): "the provider's notification names no tenant: its "
    "preference finds the checkout",
    ("alarms.digest_staging", "*"): "unlogged scratch rows of one alarms run, deleted when the run ends",
    **{(f"{s}.outbox", "*"): "per-service queue, ordered by seq across tenants for the relay" for s in SCHEMAS},
    **{(f"{s}.inbox", "*"): "per-service dedup of consumed event ids, which are unique on their own" for s in SCHEMAS},
}

KEYS = """
SELECT c.conrelid::regclass::text AS tbl, c.conname AS name, c.contype::text AS kind,
       (SELECT array_agg(a.attname ORDER BY k.n) FROM unnest(c.conkey) WITH ORDINALITY k(att, n)
          JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.att) AS cols,
       c.confrelid::regclass::text AS ref,
       (SELECT array_agg(a.attname ORDER BY k.n) FROM unnest(c.confkey) WITH ORDINALITY k(att, n)
          JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.att) AS ref_cols
FROM pg_constraint c
WHERE c.connamespace::regnamespace::text = ANY($1::text[]) AND c.contype IN ('p', 'u', 'f', 'x')
UNION ALL
SELECT i.indrelid::regclass::text, i.indexrelid::regclass::text, 'i',
       (SELECT array_agg(coalesce(a.attname, '(expression)') ORDER BY k.n)
          FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(att, n)
          LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.att),
       NULL, NULL
FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
WHERE t.relnamespace::regnamespace::text = ANY($1::text[]) AND i.indisunique
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid)
"""


def offence(key: asyncpg.Record) -> str | None:
    """Why this key does not lead with tenant_id, or None when it does."""
    if key["cols"][0] != "tenant_id":
        return f"leads with {key['cols'][0]}"
    if key["kind"] == "f" and key["ref"] != "gateway.tenants" and key["ref_cols"][0] != "tenant_id":
        return f"references {key['ref']}({', '.join(key['ref_cols'])})"
    return None


def allowed(key: asyncpg.Record) -> bool:
    name = key["name"].split(".")[-1]
    return (key["tbl"], "*") in ALLOWED or (key["tbl"], name) in ALLOWED


async def test_every_key_leads_with_tenant_id(database: str):
    conn = await asyncpg.connect(make_url(database).set(drivername="postgresql").render_as_string(False))
    try:
        keys = await conn.fetch(KEYS, list(SCHEMAS))
    finally:
        await conn.close()
    assert len(keys) > 50  # the catalog was read
    offending = sorted(
        f"{k['tbl']}.{k['name'].split('.')[-1]}: {why}"
        for k in keys
        if (why := offence(k)) is not None and not allowed(k)
    )
    assert not offending, "keys not led by tenant_id:\n" + "\n".join(offending)


async def test_the_allow_list_names_only_keys_that_exist(database: str):
    """An entry outliving its key would hide the next key of that name: the list stays exact."""
    conn = await asyncpg.connect(make_url(database).set(drivername="postgresql").render_as_string(False))
    try:
        keys = await conn.fetch(KEYS, list(SCHEMAS))
    finally:
        await conn.close()
    present = {(k["tbl"], "*") for k in keys} | {(k["tbl"], k["name"].split(".")[-1]) for k in keys}
    assert not set(ALLOWED) - present
