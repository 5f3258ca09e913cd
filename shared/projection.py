"""Local copies of another service's facts (projections): the newest announcement of each row wins.

Events arrive in batches, twice, or out of order; a row keeps what the latest one said, judged by a column that
grows with each announcement (a revision, or when it was announced), so a late older event never overwrites a
newer one.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, or_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.ext.asyncio import AsyncSession


def newest(rows: list[dict[str, Any]], key: tuple[str, ...], order: str) -> list[dict[str, Any]]:
    """One row per key, the greatest ``order`` (one INSERT cannot touch a row twice); the later one on a tie."""
    best: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        k = tuple(row[name] for name in key)
        if k not in best or row[order] >= best[k][order]:
            best[k] = row
    return list(best.values())


async def upsert_newest(
    session: AsyncSession, table: Table, rows: list[dict[str, Any]], key: tuple[str, ...], order: str, fields: Any
) -> None:
    """Insert the rows or update ``fields`` (and ``order``) of the stored ones, unless the stored row is newer."""
    rows = newest(rows, key, order)
    if not rows:
        return
    statement = insert(table)
    # The rows as parameters (executemany), not in the statement: SQLAlchemy compiles the statement once and caches
    # it, where ``values(rows)`` compiled a parameter per value on every call.
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=list(key),
            set_={f: statement.excluded[f] for f in sorted({*fields, order})},
            where=or_(table.c[order].is_(None), table.c[order] <= statement.excluded[order]),
        ),
        rows,
    )


def unnest_source(table: Table, columns: dict[str, list[Any]]) -> tuple[str, dict[str, list[Any]]]:
    """``SELECT`` of rows given as columns (one list per column of ``table``, one item per row) through ``unnest``,
    and its parameters: a batch of 10,000 rows in one statement with one parameter per column, where ``VALUES``
    would need one per value (asyncpg takes 32,767 at most) and SQLAlchemy would compile each of them."""
    dialect = PGDialect_asyncpg()  # type: ignore[no-untyped-call]  # SQLAlchemy leaves dialects' __init__ untyped
    arrays = ", ".join(f"CAST(:{c} AS {table.c[c].type.compile(dialect=dialect)}[])" for c in columns)
    return f"SELECT * FROM unnest({arrays}) AS u({', '.join(columns)})", columns


def columns_of(rows: list[dict[str, Any]], names: Sequence[str]) -> dict[str, list[Any]]:
    """Rows as columns (``unnest_source``)."""
    return {name: [row[name] for row in rows] for name in names}
