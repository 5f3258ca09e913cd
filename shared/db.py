"""Async SQLAlchemy: one engine per process, one session per request or job, one schema per service.

Sessions commit at the edge (end of the request or job) and roll back on error; service code only
flushes. ``expire_on_commit`` is off so a response can still be built from the objects after commit.
"""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated

import asyncpg
from fastapi import Depends, Request
from sqlalchemy import DateTime, MetaData, func
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.settings import ServiceSettings

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


class IdMixin:
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


def make_base(schema: str) -> type[DeclarativeBase]:
    """A declarative base bound to a service schema."""

    class Base(DeclarativeBase):
        metadata = schema_metadata(schema)

    return Base


def create_engine(settings: ServiceSettings) -> AsyncEngine:
    return create_async_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_pre_ping=False,
        connect_args={"server_settings": {"application_name": f"cobranza-{settings.service_name}"}},
    )


async def create_pg_pool(settings: ServiceSettings) -> asyncpg.Pool:
    """A bare asyncpg pool for the hottest reads: SQLAlchemy Core costs about as much as the query itself."""
    dsn = make_url(settings.database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    return await asyncpg.create_pool(
        dsn,
        min_size=1,
        max_size=settings.db_pool_size,
        server_settings={"application_name": f"cobranza-{settings.service_name}-fast"},
    )


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
    return request.app.state.engine


EngineDep = Annotated[AsyncEngine, Depends(engine_dependency)]


async def pg_pool_dependency(request: Request) -> asyncpg.Pool:
    return request.app.state.pg


PgPoolDep = Annotated[asyncpg.Pool, Depends(pg_pool_dependency)]
