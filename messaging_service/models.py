"""The messaging schema: tenant settings, templates, messages and their attempts, suppressions."""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from shared.clock import TenantClock
from shared.db import IdMixin, SchemaBase, TimestampMixin, tenant_keys, tenant_reference
from shared.inbox import inbox_table
from shared.outbox import outbox_table

SCHEMA = "messaging"


class Base(SchemaBase, schema=SCHEMA):
    """The base of this schema's models (``shared.db.SchemaBase``)."""


outbox = outbox_table(Base.metadata)
inbox = inbox_table(Base.metadata)


class TenantSettings(TimestampMixin, Base):
    """What messaging knows of a tenant: the gateway's facts (``gateway.tenant_changed``) and its own settings.

    ``secrets`` holds credentials (SMTP password, provider tokens): written by the API, never returned.
    """

    __tablename__ = "tenant_settings"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    slug: Mapped[str | None] = mapped_column(String(80))
    name: Mapped[str | None] = mapped_column(String(300))
    country: Mapped[str | None] = mapped_column(String(2))
    timezone: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(5))
    default_currency: Mapped[str | None] = mapped_column(String(3))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    tenant_event_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # issue 15, from gateway.tenant_changed: a sandbox tenant, and its test clock (NULL: the wall clock)
    sandbox: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    test_clock: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    profile: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default=text("'{}'::jsonb"))
    channels: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default=text("'{}'::jsonb"))
    secrets: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default=text("'{}'::jsonb"))
    # The tenant's holidays beyond its country's (``dunning.calendar_changed``): messages keep off them too.
    holiday_subdivision: Mapped[str | None] = mapped_column(String(10))
    company_holidays: Mapped[list[date]] = mapped_column(ARRAY(Date), default=list, server_default=text("'{}'::date[]"))
    calendar_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The portal's ``portal.settings_changed`` (issue 17): messages carry ``{{ portal_link }}`` unless turned off.
    portal_enabled: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    portal_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def clock(self) -> TenantClock:
        """The tenant's clock (issue 15): its test clock when it is a sandbox with one, else the wall clock."""
        return TenantClock(self.timezone, self.test_clock)


class Template(IdMixin, TimestampMixin, Base):
    """A tenant's own template; it overrides the shipped default of the same kind, channel, language, tone.

    ``tone`` 0 means every tone.
    """

    __tablename__ = "templates"
    __table_args__ = (
        UniqueConstraint("tenant_id", "kind", "channel", "language", "tone"),
        *tenant_keys("templates", "id"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    channel: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(5))
    tone: Mapped[int] = mapped_column(SmallInteger, default=0, server_default=text("0"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    subject: Mapped[str | None] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    whatsapp_template: Mapped[str | None] = mapped_column(String(512))
    whatsapp_language: Mapped[str | None] = mapped_column(String(10))
    whatsapp_parameters: Mapped[list[str]] = mapped_column(JSONB, default=list, server_default=text("'[]'::jsonb"))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))


class TemplatePartial(IdMixin, TimestampMixin, Base):
    """A piece of a tenant's templates (a footer, a macro), included or imported by ``name``: the only thing a
    template of the tenant may include, import or extend."""

    __tablename__ = "template_partials"
    # Named as PostgreSQL named it: migration 0014 created the constraint without a name.
    __table_args__ = (
        UniqueConstraint("tenant_id", "name", name="template_partials_tenant_id_name_key"),
        *tenant_keys("template_partials", "id"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))


QUEUED_STATES = ("queued", "deferred")


class Message(IdMixin, TimestampMixin, Base):
    """One message to one address; its state follows delivery. What it says is in ``MessageContent``.

    The row is updated as the message moves on (claimed, sent, delivered...), so it stays narrow and has few
    indexes: every update of a row whose indexed columns change writes an entry in each index.
    """

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key"),
        Index("ix_messages_tenant_created", "tenant_id", text("created_at DESC"), text("id DESC")),
        # A customer's messages (API), the frequency cap, the check against other tenants' customers.
        Index("ix_messages_customer", "customer_id", "tenant_id", text("created_at DESC")),
        # Due messages per lane: those that attach a PDF statement are claimed apart (capped), the rest at full size.
        Index("ix_messages_due", "needs_pdf", "scheduled_at", postgresql_where=text("state IN ('queued', 'deferred')")),
        Index("ix_messages_sending", "updated_at", postgresql_where=text("state = 'sending'")),
        # Provider callbacks find SMS and WhatsApp messages by the provider's id (emails have no callbacks).
        Index(
            "ix_messages_provider_id",
            "tenant_id",
            "provider_message_id",
            postgresql_where=text("provider_message_id IS NOT NULL AND channel <> 'email'"),
        ),
        *tenant_keys("messages", "id"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(String(40))
    source_ref: Mapped[str | None] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(30))
    channel: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(5))
    tone: Mapped[int | None] = mapped_column(SmallInteger)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    # the ERP's id of the customer, from the communication: messaging's events carry it to the ERP's webhooks
    customer_external_id: Mapped[str | None] = mapped_column(String(100))
    to_address: Mapped[str] = mapped_column(String(320))
    recipient_name: Mapped[str | None] = mapped_column(String(300))
    timezone: Mapped[str] = mapped_column(String(64))
    template_ref: Mapped[str | None] = mapped_column(String(200))
    subject: Mapped[str | None] = mapped_column(Text)
    invoice_ids: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(UUID(as_uuid=True)), default=list, server_default=text("'{}'")
    )
    state: Mapped[str] = mapped_column(String(12))
    scheduled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    deferred_reason: Mapped[str | None] = mapped_column(String(40))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    provider_message_id: Mapped[str | None] = mapped_column(String(300))
    error_code: Mapped[str | None] = mapped_column(String(60))
    error: Mapped[str | None] = mapped_column(Text)
    dead_lettered: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # An email that will attach the PDF statement (set at acceptance): sent in the PDF lane, a few per batch.
    needs_pdf: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    resend_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class MessageContent(Base):
    """What a message says, rendered when it was accepted, and the communication it came from (for a preview with
    real data, a resend to a corrected address, the attached statement). Written once."""

    __tablename__ = "message_contents"
    __table_args__ = (
        *tenant_keys("message_contents", "message_id"),
        tenant_reference(
            "fk_message_contents_message_id_messages", "message_id", "messaging.messages", ondelete="CASCADE"
        ),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    message_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    body_text: Mapped[str | None] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    whatsapp: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)


class Attempt(Base):
    """One try to hand a message to its provider, and what came of it."""

    __tablename__ = "attempts"
    __table_args__ = (
        *tenant_keys("attempts", "message_id", "number"),
        tenant_reference("fk_attempts_message_id_messages", "message_id", "messaging.messages", ondelete="CASCADE"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    message_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    outcome: Mapped[str] = mapped_column(String(20))  # sent, transient_error, permanent_error, interrupted
    provider_message_id: Mapped[str | None] = mapped_column(String(300))
    error_code: Mapped[str | None] = mapped_column(String(60))
    error: Mapped[str | None] = mapped_column(Text)


class Suppression(IdMixin, Base):
    """An address messaging must not use: an opt-out (the customer asked) or an invalid contact
    (a permanent delivery error)."""

    __tablename__ = "suppressions"
    __table_args__ = (UniqueConstraint("tenant_id", "kind", "channel", "address"), *tenant_keys("suppressions", "id"))

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # opt_out, invalid
    channel: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(320))
    customer_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    source: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Reply(IdMixin, Base):
    """A customer's message to us (SMS, WhatsApp, email reply), matched to the customer and to the message it
    answers when we can tell; ``opt_out`` marks a STOP/BAJA (also recorded as a suppression)."""

    __tablename__ = "replies"
    __table_args__ = (
        # A provider that delivers the same inbound message twice (webhook retries) records it once.
        UniqueConstraint("tenant_id", "channel", "external_id"),
        Index("ix_replies_tenant_customer_received", "tenant_id", "customer_id", text("received_at DESC")),
        *tenant_keys("replies", "id"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    from_address: Mapped[str] = mapped_column(String(320))
    customer_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    in_reply_to: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    external_id: Mapped[str | None] = mapped_column(String(300))
    subject: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    opt_out: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
