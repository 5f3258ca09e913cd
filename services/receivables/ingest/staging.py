"""Staging tables for bulk ingestion: a temporary table per transaction, filled with COPY (binary protocol)."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def copy_rows(
    session: AsyncSession, table: str, columns: Sequence[tuple[str, str]], records: Sequence[tuple[Any, ...]]
) -> None:
    """(Re)create the temporary ``table`` for this transaction and COPY ``records`` into it."""
    definition = ", ".join(f"{name} {kind}" for name, kind in columns)
    await session.execute(text(f"CREATE TEMP TABLE IF NOT EXISTS {table} ({definition}) ON COMMIT DROP"))
    await session.execute(text(f"TRUNCATE {table}"))
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
        table, records=records, columns=[name for name, _ in columns]
    )
    await session.execute(text(BULK_PLAN))


async def refresh_statistics(session: AsyncSession, *tables: str) -> None:
    """ANALYZE the tables whose statistics lag far behind their size. A bulk load into an empty table outruns
    autovacuum; a table never analyzed looks empty to the planner, which then probes whichever index comes first
    (a name index scanned whole, once per staged row). Once analyzed, estimates follow the table's size."""
    rows = await session.execute(
        text(
            "SELECT c.oid::regclass::text AS name, c.reltuples, pg_relation_size(c.oid) AS bytes, s.n_live_tup "
            "FROM pg_class c JOIN pg_stat_user_tables s ON s.relid = c.oid "
            "WHERE c.oid = ANY(CAST(:tables AS regclass[]))"
        ),
        {"tables": list(tables)},
    )
    for row in rows.all():
        never = row.reltuples < 0 and row.bytes > 0
        if never or (row.n_live_tup > 1000 and row.reltuples < row.n_live_tup / 2):
            await session.execute(text(f"ANALYZE {row.name}"))


# A batch meets the portfolio by one probe of a unique index per staged row: 10,000 probes, whatever the size of
# the portfolio. A hash or merge join would read the whole table for every batch, and with statistics that lag
# a bulk load the planner may choose one: for the rest of this transaction seq scans, hash and merge joins are a
# last resort. JIT is off: these plans look expensive to the planner, which would spend seconds compiling them
# for a statement that runs in a fraction of that.
BULK_PLAN = (
    "SELECT set_config('enable_seqscan', 'off', true), set_config('enable_hashjoin', 'off', true), "
    "set_config('enable_mergejoin', 'off', true), set_config('jit', 'off', true)"
)
