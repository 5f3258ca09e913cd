"""The ERP's customer id on messaging's webhooks (issue 14): what carrying it costs a 10,000-message batch.

Chosen: messaging keeps the id the communication brings (``CustomerInfo.external_id``) on each message row and puts
it on its events, so the webhooks mapping stays pure. Measured: one acceptance-sized write of 10,000 message rows and
their ``MessageStatusChanged`` outbox rows (COPY, as acceptance writes them), with the id and without it (the
baseline), in the same run. Beside it, the alternative not taken: the webhooks service keeping a projection of
customers' external ids and looking up a batch's 10,000 customers among 100,000 (one indexed query per batch, plus
a projection to keep from every customer change, and a lag in which it answers null).

Temp tables shaped like messaging's, in a database of its own migrated to head: nothing else is touched.
"""

import asyncio
import json
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import PG_SERVER, ROOT, VENV_BIN, arguments, bench_line

DATABASE = "cobranza_bench_erp_ids"
BATCH = 10_000
OUTBOX_COLUMNS = ["id", "tenant_id", "message_type", "version", "consumers", "payload", "occurred_at"]


async def fresh_database() -> str:
    conn = await asyncpg.connect(f"postgresql://{PG_SERVER}/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await conn.close()
    url = f"postgresql+asyncpg://{PG_SERVER}/{DATABASE}"
    process = await asyncio.create_subprocess_exec(
        str(VENV_BIN / "alembic"), "-x", f"url={url}", "upgrade", "head", cwd=ROOT
    )
    if await process.wait() != 0:
        raise RuntimeError("migrations failed")
    return f"postgresql://{PG_SERVER}/{DATABASE}"


def message_rows(columns: list[str], tenant: uuid.UUID, customers: list[uuid.UUID], erp_ids: bool) -> list[tuple]:
    now = datetime.now(UTC)
    rows = []
    for i, customer in enumerate(customers):
        row: dict[str, Any] = dict.fromkeys(columns)
        row |= {"id": uuid.uuid4(), "tenant_id": tenant, "idempotency_key": f"bench-{i}", "source": "dunning"}
        row |= {"kind": "overdue", "channel": "email", "language": "es", "customer_id": customer}
        row |= {"to_address": f"pagos{i}@cliente.example", "timezone": "UTC", "state": "queued", "scheduled_at": now}
        row |= {"attempts": 0, "dead_lettered": False, "needs_pdf": False, "resend_count": 0, "invoice_ids": []}
        row |= {"created_at": now, "updated_at": now, "customer_external_id": f"ERP-C-{i:06d}" if erp_ids else None}
        rows.append(tuple(row[c] for c in columns))
    return rows


def event_rows(tenant: uuid.UUID, customers: list[uuid.UUID], erp_ids: bool) -> list[tuple]:
    now = datetime.now(UTC)
    rows = []
    for i, customer in enumerate(customers):
        payload = {"message_id": str(uuid.uuid4()), "idempotency_key": f"bench-{i}", "source": "dunning"}
        payload |= {"customer_id": str(customer), "customer_external_id": f"ERP-C-{i:06d}" if erp_ids else None}
        payload |= {"kind": "overdue", "channel": "email", "to": f"pagos{i}@cliente.example", "state": "queued"}
        rows.append((uuid.uuid4(), tenant, "messaging.message_status_changed", 1, ["webhooks"], payload, now))
    return rows


async def main() -> None:
    args = arguments(__doc__.splitlines()[0])
    repeat = 3 if args.scale == "small" else 9
    conn = await asyncpg.connect(await fresh_database())
    await conn.set_type_codec(  # binary COPY of jsonb: its version byte, then the text
        "jsonb",
        encoder=lambda v: b"\x01" + json.dumps(v).encode(),
        decoder=lambda b: json.loads(b[1:]),
        schema="pg_catalog",
        format="binary",
    )
    await conn.execute("CREATE TEMP TABLE m (LIKE messaging.messages INCLUDING DEFAULTS)")
    await conn.execute("CREATE TEMP TABLE o (LIKE messaging.outbox INCLUDING DEFAULTS INCLUDING IDENTITY)")
    columns = [
        r["attname"]
        for r in await conn.fetch(
            "SELECT attname FROM pg_attribute WHERE attrelid = 'm'::regclass AND attnum > 0 AND NOT attisdropped"
        )
    ]
    tenant = uuid.uuid4()
    portfolio = [uuid.uuid4() for _ in range(10 * BATCH)]
    batch = portfolio[:BATCH]
    await conn.execute(
        "CREATE TEMP TABLE refs (tenant_id uuid, id uuid, external_id varchar(100), PRIMARY KEY (tenant_id, id))"
    )
    await conn.copy_records_to_table("refs", records=[(tenant, c, f"ERP-C-{i:06d}") for i, c in enumerate(portfolio)])
    await conn.execute("ANALYZE refs")

    async def write(erp_ids: bool) -> float:
        messages, events = message_rows(columns, tenant, batch, erp_ids), event_rows(tenant, batch, erp_ids)
        started = time.perf_counter()
        async with conn.transaction():
            await conn.copy_records_to_table("m", records=messages, columns=columns)
            await conn.copy_records_to_table("o", records=events, columns=OUTBOX_COLUMNS)
        spent = time.perf_counter() - started
        await conn.execute("TRUNCATE m, o")
        return spent

    async def look_up() -> float:
        started = time.perf_counter()
        found = await conn.fetch(
            "SELECT id, external_id FROM refs WHERE tenant_id = $1 AND id = ANY($2::uuid[])", tenant, batch
        )
        assert len(found) == BATCH
        return time.perf_counter() - started

    without, carried, looked_up = [], [], []
    for _ in range(repeat):
        without.append(await write(False))
        carried.append(await write(True))
        looked_up.append(await look_up())
    await conn.close()
    ms = {name: statistics.median(times) * 1000 for name, times in (("w", without), ("c", carried), ("l", looked_up))}
    print(f"10,000 messages and their events written, without the ERP's id: {ms['w']:8.1f} ms (median of {repeat})")
    print(f"10,000 messages and their events written, carrying it:          {ms['c']:8.1f} ms")
    print(f"the alternative's look-up of 10,000 customers among 100,000:    {ms['l']:8.1f} ms, plus its projection")
    print(bench_line("erp_customer_id_carried", ms["c"], ms["w"], "ms per 10,000 messages"), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
