"""The webhooks schema: endpoints and their signing secrets, the events to announce, one delivery per event and
endpoint with its attempts, the tenant's settings. Only webhooks writes it. Kept in step with
``migrations/versions/20261206_0026_webhooks.py``."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.schema import conv

from shared.db import SchemaBase, tenant_keys, tenant_reference
from shared.inbox import inbox_table
from shared.outbox import outbox_table

SCHEMA = "webhooks"


class Base(SchemaBase, schema=SCHEMA):
    """The base of this schema's models (``shared.db.SchemaBase``)."""


outbox = outbox_table(Base.metadata)
inbox = inbox_table(Base.metadata)

NOW = text("now()")
PENDING, SUCCEEDED, FAILED, ABANDONED = "pending", "succeeded", "failed", "abandoned"


class TenantSettings(Base):
    """A tenant's webhook settings; a tenant without a row has the defaults (no private URLs, disable after 5
    days of failures). ``allow_private_urls`` is set by the platform operator only (see ``endpoints.rules``)."""

    __tablename__ = "tenant_settings"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    allow_private_urls: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    disable_after_days: Mapped[int] = mapped_column(SmallInteger, server_default=text("5"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=NOW)


class Endpoint(Base):
    """Where a tenant wants events: its URL, the types it wants (empty: all), whether it is on.
    ``failing_since`` is the first failed attempt after the last success (null while it succeeds)."""

    __tablename__ = "endpoints"
    __table_args__ = tenant_keys("endpoints", "id")

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str | None] = mapped_column(String(500), nullable=True)
    event_types: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'::text[]"))
    enabled: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    disabled_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    failing_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=NOW)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=NOW)


class Secret(Base):
    """An endpoint's HMAC signing key (``whsec_`` + base64, kept so it can sign). The current one has no
    ``expires_at``; after a rotation the previous ones sign too until they expire (the overlap)."""

    __tablename__ = "secrets"
    __table_args__ = (
        *tenant_keys("secrets", "id"),
        Index("ix_secrets_tenant_id_endpoint_id", "tenant_id", "endpoint_id"),
        tenant_reference("fk_secrets_endpoint_id_endpoints", "endpoint_id", "endpoints", ondelete="CASCADE"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    endpoint_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    secret: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=NOW)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Event(Base):
    """A catalogue event to announce; ``event_id`` is the ``webhook-id`` of every delivery of it."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_tenant_id_occurred_at", "tenant_id", "occurred_at"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    type: Mapped[str] = mapped_column(String(60))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=NOW)


class Delivery(Base):
    """One event to one endpoint (a replay is a new delivery of the same event). A claimed delivery's
    ``next_attempt_at`` is pushed out by the lease: if its worker dies, it is due again when the lease ends."""

    __tablename__ = "deliveries"
    __table_args__ = (
        *tenant_keys("deliveries", "id"),
        # conv: the name migration 0026 gave it, not the naming convention's
        CheckConstraint(f"state IN ('{PENDING}', '{SUCCEEDED}', '{FAILED}', '{ABANDONED}')", name=conv("state")),
        Index("ix_deliveries_due", "next_attempt_at", postgresql_where=text("state = 'pending'")),
        Index("ix_deliveries_tenant_id_endpoint_id_created_at", "tenant_id", "endpoint_id", "created_at"),
        Index("ix_deliveries_tenant_id_event_id", "tenant_id", "event_id"),
        tenant_reference("fk_deliveries_endpoint_id_endpoints", "endpoint_id", "endpoints", ondelete="CASCADE"),
        ForeignKeyConstraint(
            ["tenant_id", "event_id"],
            ["events.tenant_id", "events.event_id"],
            name="fk_deliveries_event_id_events",
        ),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    endpoint_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    event_id: Mapped[str] = mapped_column(String(100))
    event_type: Mapped[str] = mapped_column(String(60))
    state: Mapped[str] = mapped_column(String(12), server_default=text("'pending'"))
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, server_default=NOW)
    last_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    replay: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=NOW)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=NOW)


class Attempt(Base):
    """One try of a delivery: what the endpoint answered (status, first KB of the body) or the network error."""

    __tablename__ = "attempts"
    __table_args__ = (
        *tenant_keys("attempts", "id"),
        Index("ix_attempts_tenant_id_delivery_id_at", "tenant_id", "delivery_id", "at"),
        tenant_reference("fk_attempts_delivery_id_deliveries", "delivery_id", "deliveries", ondelete="CASCADE"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    delivery_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=NOW)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    latency_ms: Mapped[int] = mapped_column(Integer)
    response_excerpt: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
