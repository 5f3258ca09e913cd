"""The portal schema: the links messages carry (their tokens kept only as hashes), the tenant's portal settings,
every action a debtor took (the audit), online checkouts and uploaded receipts. Only the portal writes it. Kept in
step with ``migrations/versions/20261207_0031_portal.py``."""

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    SmallInteger,
    String,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.schema import conv

from shared.db import SchemaBase, tenant_keys, tenant_reference
from shared.inbox import inbox_table
from shared.outbox import outbox_table

SCHEMA = "portal"


class Base(SchemaBase, schema=SCHEMA):
    """The base of this schema's models (``shared.db.SchemaBase``)."""


outbox = outbox_table(Base.metadata)
inbox = inbox_table(Base.metadata)

NOW = text("now()")
CHECKOUT_STATES = ("created", "pending", "paid", "failed", "reversed")


class TenantSettings(Base):
    """A tenant's portal; a tenant without a row has the defaults (``tenant_settings/rules.py``)."""

    __tablename__ = "tenant_settings"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    link_valid_days: Mapped[int] = mapped_column(SmallInteger, server_default=text("30"))
    pay_online: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    # The plan a debtor may ask for (seed 004: "renegociar la deuda a tres plazos").
    plan_max_installments: Mapped[int] = mapped_column(SmallInteger, server_default=text("3"))
    plan_min_down_payment_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2), server_default=text("0"))
    plan_min_amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2), nullable=True)
    plan_max_amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2), nullable=True)
    # How far ahead a debtor may promise to pay, in days from the tenant's today.
    promise_max_days: Mapped[int] = mapped_column(SmallInteger, server_default=text("30"))
    # A dispute's reason (price, not_received, ...) -> the dispute area that resolves it (seed 000).
    dispute_areas: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    # Links issued before this instant are refused (the tenant revoked every link at once).
    links_revoked_before: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=NOW)


class Link(Base):
    """One customer's link, as a message carried it (or as a collector made it). Only the token's SHA-256 is kept:
    the database alone cannot open anyone's page."""

    __tablename__ = "links"
    __table_args__ = (
        *tenant_keys("links", "id"),
        Index("uq_links_token_hash", "token_hash", unique=True),
        Index("ix_links_tenant_id_customer_id_issued_at", "tenant_id", "customer_id", "issued_at"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary)
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    message_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    channel: Mapped[str | None] = mapped_column(String(20), nullable=True)
    language: Mapped[str | None] = mapped_column(String(5), nullable=True)
    issued_by: Mapped[str] = mapped_column(String(100))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    opens: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    last_opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Action(Base):
    """What a debtor did on the page (opened it, paid, reported, promised...): who (the link), when, from where,
    what it asked and what it became in receivables."""

    __tablename__ = "actions"
    __table_args__ = (
        *tenant_keys("actions", "id"),
        Index("ix_actions_tenant_id_customer_id_at", "tenant_id", "customer_id", "at"),
        tenant_reference("fk_actions_link_id_links", "link_id", "links"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    link_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    kind: Mapped[str] = mapped_column(String(30))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    result: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(400), nullable=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=NOW)


class Checkout(Base):
    """An online payment: the provider's preference for the invoices the debtor chose, and what became of it."""

    __tablename__ = "checkouts"
    __table_args__ = (
        *tenant_keys("checkouts", "id"),
        CheckConstraint(f"state IN {CHECKOUT_STATES!r}", name=conv("ck_checkouts_state")),
        Index("uq_checkouts_preference_id", "preference_id", unique=True),
        Index("ix_checkouts_tenant_id_customer_id_created_at", "tenant_id", "customer_id", "created_at"),
        tenant_reference("fk_checkouts_link_id_links", "link_id", "links"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    link_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    invoice_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)))
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    currency: Mapped[str] = mapped_column(String(3))
    preference_id: Mapped[str] = mapped_column(String(100))
    init_point: Mapped[str] = mapped_column(String(2000))
    state: Mapped[str] = mapped_column(String(10), server_default=text("'created'"))
    provider_payment_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    provider_status: Mapped[str | None] = mapped_column(String(40), nullable=True)
    payment_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=NOW)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=NOW)


class Receipt(Base):
    """A payment receipt a debtor uploaded: where the storage keeps it and what it is (type read from content)."""

    __tablename__ = "receipts"
    __table_args__ = (
        *tenant_keys("receipts", "id"),
        tenant_reference("fk_receipts_action_id_actions", "action_id", "actions"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    action_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    storage_key: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(60))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str | None] = mapped_column(String(200), nullable=True)
    paid_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=NOW)
