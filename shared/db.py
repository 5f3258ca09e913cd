"""Async SQLAlchemy: one engine per process, one session per request or job, one schema per service.

Sessions commit at the edge (end of the request or job) and roll back on error; service code only
flushes. ``expire_on_commit`` is off so a response can still be built from the objects after commit.
"""

import os
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import fields
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, TypeVar

import asyncpg
import orjson
import sqlalchemy.exc
from fastapi import Depends, Request
from sqlalchemy import DateTime, ForeignKeyConstraint, Index, MetaData, PrimaryKeyConstraint, Table, func, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry

from shared.settings import ServiceSettings

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def schema_metadata(schema: str) -> MetaData:
    """The MetaData of one service: every table lives in the service's own PostgreSQL schema."""
    return MetaData(schema=schema, naming_convention=NAMING_CONVENTION)


class SchemaBase(DeclarativeBase):
    """What each service's declarative base shares: ``class Base(SchemaBase, schema="dunning")`` is the base of
    one service's models, with a registry of its own and the schema's MetaData (``schema_metadata``); its
    subclasses are the mapped tables. ``__table__`` is typed as the ``Table`` every model maps (DeclarativeBase
    says only FromClause), for Core statements: ``Model.__table__``."""

    __table__: ClassVar[Table]

    def __init_subclass__(cls, schema: str | None = None, **kw: Any) -> None:
        if schema is None:  # a model of a service's Base: mapped in that Base's registry
            super().__init_subclass__(**kw)
            return
        # a service's Base: a declarative base of its own, as DeclarativeBase sets up its direct subclasses
        cls.registry = registry(metadata=schema_metadata(schema))
        cls.metadata = cls.registry.metadata
        cls._sa_registry = cls.registry


class IdMixin:
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


def tenant_keys(table: str, *columns: str) -> tuple[PrimaryKeyConstraint, Index]:
    """The primary key led by tenant_id, so the rows can be distributed by tenant (docs/scaling.md;
    tests/platform/test_keys_lead_with_tenant.py checks the migrated keys), and the old key as a plain index: rows
    are still found by their id alone (delivery, sweepers, consumers) without a second unique key."""
    return PrimaryKeyConstraint("tenant_id", *columns), Index(f"ix_{table}_{'_'.join(columns)}", *columns)


def tenant_reference(name: str, column: str, table: str, ondelete: str | None = None) -> ForeignKeyConstraint:
    """A foreign key (tenant_id, column) to ``table``'s (tenant_id, id): a row and its parent share a tenant."""
    return ForeignKeyConstraint(
        ["tenant_id", column], [f"{table}.tenant_id", f"{table}.id"], name=name, ondelete=ondelete
    )


Row = TypeVar("Row", bound="DataclassInstance")


def row_as(cls: type[Row], mapping: Mapping[Any, Any]) -> Row:
    """A repository's typed row (a frozen dataclass) from a result mapping, its fields taken by name; a column the
    query left out takes the field's default."""
    return cls(**{f.name: mapping[f.name] for f in fields(cls) if f.name in mapping})


def array_literal(items: Sequence[Any]) -> str:
    """A PostgreSQL array literal of ``items``: each item double-quoted with its backslashes and double quotes
    escaped (an enum by its value), NULL for None; what ``CAST(... AS text[])`` and COPY's text format read."""
    quoted = (
        "NULL"
        if v is None
        else '"' + str(v.value if isinstance(v, Enum) else v).replace("\\", "\\\\").replace('"', '\\"') + '"'
        for v in items
    )
    return "{" + ",".join(quoted) + "}"


def _unique_statement_name() -> str:
    return f"__cobranza_{uuid.uuid4().hex}__"


def create_engine(settings: ServiceSettings) -> AsyncEngine:
    """The process's engine, within its connection budget (README, "Connection budget").

    A pooled connection is checked before use (``pool_pre_ping``: a server restart or an idle drop costs a
    reconnect, not an error) and replaced after ``db_pool_recycle_seconds``. Behind PgBouncer in transaction mode
    nothing prepared may outlive its transaction: no statement cache, and unique statement names (SQLAlchemy's
    advice for PgBouncer), since the server connection changes from one transaction to the next."""
    # the process id in the name: pg_stat_activity tells which process holds or waits for what
    name = f"cobranza-{settings.service_name}-{os.getpid()}"
    connect_args: dict[str, Any] = {"server_settings": {"application_name": name}}
    if settings.db_pgbouncer:
        connect_args |= {
            "statement_cache_size": 0,
            "prepared_statement_cache_size": 0,
            "prepared_statement_name_func": _unique_statement_name,
        }
    return create_async_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
        pool_recycle=settings.db_pool_recycle_seconds,
        pool_pre_ping=True,
        connect_args=connect_args,
        # JSON read back parses with orjson, not the standard library's json, which took a fifth of a dunning
        # worker's CPU in a 1M-invoice run (outbox payloads, before the relay passed them on as text).
        json_deserializer=orjson.loads,
    )


async def create_pg_pool(settings: ServiceSettings) -> asyncpg.Pool:
    """A bare asyncpg pool for the hottest reads: SQLAlchemy Core costs about as much as the query itself.
    It counts in the budget with ``db_fast_pool_size``; it opens its connections when first used."""
    dsn = make_url(settings.database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    return await asyncpg.create_pool(
        dsn,
        min_size=0,
        max_size=settings.db_fast_pool_size,
        max_inactive_connection_lifetime=settings.db_pool_recycle_seconds,
        statement_cache_size=0 if settings.db_pgbouncer else 100,
        server_settings={"application_name": f"cobranza-{settings.service_name}-fast"},
    )


# SQLSTATEs of a database out of reach (not of a bad statement): connection exceptions (class 08), too many
# connections and other resources exhausted (53), the server shutting down or starting (57P01-57P03).
UNAVAILABLE_SQLSTATE_PREFIXES = ("08", "53", "57P01", "57P02", "57P03")


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """An error and what it wraps (SQLAlchemy's ``orig``, then causes and contexts), each once."""
    seen: set[int] = set()
    error: BaseException | None = exc
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = getattr(error, "orig", None) or error.__cause__ or error.__context__


def connection_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database could not be reached or gave no connection (pool exhausted, too many
    connections, refused, restarting), as opposed to an error of the statement itself. Such a request is
    answered 503 with ``Retry-After``, and such a job is retried shortly."""
    for error in _chain(exc):
        if isinstance(error, (sqlalchemy.exc.TimeoutError, OSError, TimeoutError)):
            return True  # the pool's wait ran out; refused, reset, unreachable; no answer while connecting
        if isinstance(error, (asyncpg.exceptions.ConnectionDoesNotExistError, asyncpg.InterfaceError)):
            return "closed" in str(error) or isinstance(error, asyncpg.exceptions.ConnectionDoesNotExistError)
        if str(getattr(error, "sqlstate", "") or "").startswith(UNAVAILABLE_SQLSTATE_PREFIXES):
            return True
        if isinstance(error, sqlalchemy.exc.DBAPIError) and error.connection_invalidated:
            return True
    return False


def transient_conflict(exc: BaseException) -> bool:
    """A deadlock or serialization failure: PostgreSQL rolled the transaction back, and running it again is
    the documented answer (SQLSTATE 40P01, 40001)."""
    return any(str(getattr(error, "sqlstate", "") or "") in ("40P01", "40001") for error in _chain(exc))


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


@asynccontextmanager
async def unit_of_work(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One transaction: commit when the block ends normally, roll back when it raises."""
    async with sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


async def _request_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with unit_of_work(request.app.state.sessionmaker) as session:
        yield session


# scope="function": the commit happens before the response is sent, so a failed commit is an error
# response, never a 2xx for data that was not stored.
SessionDep = Annotated[AsyncSession, Depends(_request_session, scope="function")]


async def engine_dependency(request: Request) -> AsyncEngine:
    engine: AsyncEngine = request.app.state.engine
    return engine


EngineDep = Annotated[AsyncEngine, Depends(engine_dependency)]


async def pg_pool_dependency(request: Request) -> asyncpg.Pool:
    return request.app.state.pg


PgPoolDep = Annotated[asyncpg.Pool, Depends(pg_pool_dependency)]


async def set_local(session: AsyncSession, **settings: str | int | float) -> None:
    """PostgreSQL settings for the rest of the caller's transaction (``SET LOCAL``), in one round trip: the plan of
    a statement whose estimates mislead the planner (JIT compiling a plan priced in the trillions, a nested loop
    over a mis-estimated set). Each caller says beside the call what it measured."""
    calls = ", ".join(f"set_config(:name_{n}, :value_{n}, true)" for n in range(len(settings)))
    params: dict[str, str] = {}
    for n, (name, value) in enumerate(settings.items()):
        params |= {f"name_{n}": name, f"value_{n}": str(value)}
    await session.execute(text(f"SELECT {calls}"), params)


@asynccontextmanager
async def planner_settings(session: AsyncSession, **settings: str | int | float) -> AsyncIterator[None]:
    """``set_local`` for the statements inside the block only: each setting goes back to what it was after it, so
    the rest of the caller's transaction is planned as before. (An error inside aborts the transaction, and the
    settings with it.)"""
    names = list(settings)
    reads = ", ".join(f"current_setting(:name_{n})" for n in range(len(names)))
    before = (await session.execute(text(f"SELECT {reads}"), {f"name_{n}": name for n, name in enumerate(names)})).one()
    await set_local(session, **settings)
    yield
    await set_local(session, **dict(zip(names, before, strict=True)))


async def advisory_xact_lock(session: AsyncSession, key: str) -> None:
    """PostgreSQL's advisory lock on ``key`` (hashed), waited for and held until the session's transaction ends:
    one writer at a time of something a row lock cannot cover (a tenant's whole refresh, its next number)."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key})


async def analyzed_table(
    session: AsyncSession,
    name: str,
    query: str,
    params: Mapping[str, Any] | None = None,
    columns: Sequence[str] = (),
) -> None:
    """``query``'s rows as a temporary table of the caller's transaction, analyzed: the planner then knows how many
    they are. A set made on the fly is guessed at (an ``unnest`` at 10 rows an array, a fresh run's rows with no
    statistics), and at a wrong guess it hashes a whole table to update a few thousand of its rows. ``columns``:
    only these get statistics (the ones joined or filtered on), the row count all the same: a wide table's every
    column costs (a run's part: 25,000 position lines took 90 ms to analyze in full). A table of that name made
    earlier in the transaction is replaced (a worker's transaction may hand over two parts, an endpoint answer
    twice)."""
    await session.execute(text(f"DROP TABLE IF EXISTS {name}"))
    await session.execute(text(f"CREATE TEMP TABLE {name} ON COMMIT DROP AS {query}"), dict(params or {}))
    await session.execute(text(f"ANALYZE {name} ({', '.join(columns)})" if columns else f"ANALYZE {name}"))
