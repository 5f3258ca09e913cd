"""Staging tables for bulk ingestion: a temporary table per transaction, filled with COPY (binary protocol)."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import set_local


async def _staging(session: AsyncSession, table: str, columns: Sequence[tuple[str, str]]) -> Any:
    """The temporary ``table``, empty; answers the driver's connection. It lives as long as the pooled connection
    and is emptied at every commit: creating and dropping it in each transaction would cost the catalog a few
    rows and every cached plan an invalidation per batch."""
    definition = ", ".join(f"{name} {kind}" for name, kind in columns)
    await session.execute(text(f"CREATE TEMP TABLE IF NOT EXISTS {table} ({definition}) ON COMMIT DELETE ROWS"))
    await session.execute(text(f"TRUNCATE {table}"))  # an earlier chunk of this transaction (the CSV file)
    connection = await session.connection()
    return (await connection.get_raw_connection()).driver_connection


async def copy_rows(
    session: AsyncSession, table: str, columns: Sequence[tuple[str, str]], records: Sequence[tuple[Any, ...]]
) -> None:
    """Stage ``records`` (Python values, COPY's binary format) in the temporary ``table``."""
    driver = await _staging(session, table, columns)
    await driver.copy_records_to_table(table, records=records, columns=[name for name, _ in columns])
    await set_local(session, **BULK_PLAN)


async def copy_lines(session: AsyncSession, table: str, columns: Sequence[tuple[str, str]], lines: list[str]) -> None:
    """Stage rows already written as lines of COPY's text format: PostgreSQL parses the numbers and dates, which
    costs it less than Python spends building the values for the binary format."""
    driver = await _staging(session, table, columns)
    data = memoryview(("\n".join(lines) + "\n").encode())  # a buffer: asyncpg would take bytes for a file name
    await driver.copy_to_table(table, source=data, columns=[name for name, _ in columns], format="text")
    await set_local(session, **BULK_PLAN)


async def refresh_statistics(session: AsyncSession, *tables: str) -> None:
    """ANALYZE the tables whose statistics would mislead the planner. The planner scales the row count it last
    saw by the table's current size, so estimates follow a growing table, except when that count is zero: an
    ANALYZE that ran while a bulk load's first rows were not yet committed (ours or autovacuum's) records a table
    of pages and no rows, every later plan takes it for empty and may rescan a whole batch once per invoice
    (seconds per batch, then minutes). Sizes are read from the files, not from the activity statistics, which
    lag behind concurrent loads; a table that doubled since its last ANALYZE is refreshed too."""
    rows = await session.execute(
        text(
            "SELECT c.oid::regclass::text AS name, c.reltuples, c.relpages, "
            "pg_relation_size(c.oid) / current_setting('block_size')::int AS pages "
            "FROM pg_class c WHERE c.oid = ANY(CAST(:tables AS regclass[]))"
        ),
        {"tables": list(tables)},
    )
    for row in rows.all():
        if row.pages > 0 and (row.reltuples <= 0 or row.pages > 2 * row.relpages):
            await session.execute(text(f"ANALYZE {row.name}"))


# How a batch meets the stored rows, whatever the statistics say. They lag behind bulk loads (an ANALYZE that ran
# before a load's first rows committed leaves a table of pages and no rows; a new tenant looks small), and with a
# nested loop the planner then rescans a whole batch, or a whole tenant, once per row: 20 s for a 10,000-row batch
# and more as the tenant grows. So the big tables are read only for the batch's keys (``stored_rows``) and the
# rest is joined by hashing batch-sized sets: no nested loops, no seq scans of big tables. Plans are made for each
# batch's own keys (a generic plan could not hash them). JIT is off: these plans look expensive to the planner,
# which would spend seconds compiling them for a statement that runs in a fraction of that.
BULK_PLAN = {
    "enable_nestloop": "off",
    "enable_seqscan": "off",
    "enable_mergejoin": "off",
    "plan_cache_mode": "force_custom_plan",
    "jit": "off",
}


def stored_rows(table: str, alias: str, keys_param: str, columns: str) -> str:
    """``SELECT`` of the external id and ``columns`` of the rows of ``table`` in the tenant whose external ids are
    in the bound list ``keys_param``: one walk of the unique (tenant, external id) index for the batch's keys, or,
    when the statistics call the table small, one pass over the tenant's rows checking each against the hashed
    list; never a pass per key. The tenant is a sub-select so the planner estimates an average tenant rather than
    what the statistics say of this one (a newcomer looks empty)."""
    return (
        f"SELECT {alias}.external_id, {columns} FROM {table} {alias} "
        f"WHERE {alias}.tenant_id = (SELECT CAST(:tenant_id AS uuid)) "
        f"AND {alias}.external_id = ANY(CAST(:{keys_param} AS text[]))"
    )
