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
