"""The receivables schema. Tables are added per domain area; all live in the ``receivables`` schema."""

import uuid
from typing import Any

from sqlalchemy import Boolean, Index, Integer, String, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import IdMixin, TimestampMixin, make_base
from shared.inbox import inbox_table
from shared.outbox import outbox_table

SCHEMA = "receivables"
Base = make_base(SCHEMA)
outbox = outbox_table(Base.metadata)
inbox = inbox_table(Base.metadata)


class Customer(IdMixin, TimestampMixin, Base):
    __tablename__ = "customers"
    __table_args__ = (
        Index("uq_customers_tenant_external_id", "tenant_id", "external_id", unique=True),
        Index("ix_customers_tenant_name", "tenant_id", "name", "id"),
        Index("ix_customers_tags", "tags", postgresql_using="gin"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    external_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    name: Mapped[str] = mapped_column(String(300))
    tax_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    segment: Mapped[str | None] = mapped_column(String(60), nullable=True)
    vip: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    risk_level: Mapped[str | None] = mapped_column(String(10), nullable=True)
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(60)), default=list, server_default=text("'{}'"))
    # [{"channel": "email", "address": "...", "invalid": false}]: small, read and written with the customer.
    contacts: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list, server_default=text("'[]'"))
    opted_out_channels: Mapped[list[str]] = mapped_column(ARRAY(String(10)), default=list, server_default=text("'{}'"))
    collector_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True, index=True)
    advisor_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))


class TenantUser(Base):
    """The tenant's people as the gateway announces them (collectors, supervisors, ...): a projection."""

    __tablename__ = "users"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    full_name: Mapped[str] = mapped_column(String(200))
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(20)))
    active: Mapped[bool] = mapped_column(Boolean)
