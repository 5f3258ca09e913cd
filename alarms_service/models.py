"""The alarms schema: a projection of what the alarms look at (tenants, users, customers, invoices, broken
promises, action items: all from events), the settings of each alarm per tenant, runs, and the digests sent.
Only alarms writes it. Kept in step with ``migrations/versions/20261123_0005_alarms.py`` and the later alarms
migrations (issue 18: ``20261207_0036_manager_alarms.py``)."""

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Identity,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import SchemaBase, tenant_keys
from shared.inbox import inbox_table
from shared.outbox import outbox_table

SCHEMA = "alarms"


class Base(SchemaBase, schema=SCHEMA):
    """The base of this schema's models (``shared.db.SchemaBase``)."""


outbox = outbox_table(Base.metadata)
inbox = inbox_table(Base.metadata)

NOW = text("now()")
ALARM_STATUSES = "status IN ('payment_reported', 'dispute')"


class Tenant(Base):
    """The tenant as the gateway announces it: its time zone says when an alarm is due, its language and country
    how a digest reads. ``announced_at`` orders the announcements (an older one never wins)."""

    __tablename__ = "tenants"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    announced_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # issue 15, from gateway.tenant_changed: a sandbox tenant, and its test clock (NULL: the wall clock)
    sandbox: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    test_clock: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class TenantCalendar(Base):
    """The tenant's holiday subdivision and company holidays (``dunning.calendar_changed``): with its country's
    public holidays they decide the business days digests keep to. Its own row, so it may arrive first."""

    __tablename__ = "tenant_calendars"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    holiday_subdivision: Mapped[str | None] = mapped_column(String(10), nullable=True)
    company_holidays: Mapped[list[date]] = mapped_column(ARRAY(Date), server_default=text("'{}'::date[]"))
    announced_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class User(Base):
    """The tenant's people with a login (collectors, the action owner), from ``gateway.user_changed``."""

    __tablename__ = "users"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    full_name: Mapped[str] = mapped_column(String(200))
    roles: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'::text[]"))
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    announced_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Customer(Base):
    """Projection of receivables' customers: the name a digest shows and the collector it goes to."""

    __tablename__ = "customers"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer)
    external_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    name: Mapped[str] = mapped_column(String(300))
    collector_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    deleted: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))


class Invoice(Base):
    """Projection of receivables' invoices. ``status_since`` is when this projection saw the status begin (the
    "in dispute since" of the disputes digests)."""

    __tablename__ = "invoices"
    __table_args__ = (
        # The weekly alarms read only these statuses: a small slice of a large portfolio.
        Index("ix_invoices_alarm_statuses", "tenant_id", "status", postgresql_where=text(ALARM_STATUSES)),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    revision: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(60))
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(Numeric)
    open_amount: Mapped[Decimal] = mapped_column(Numeric)
    due_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))
    promised_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    reported_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    dispute_area_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    status_since: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class BrokenPromise(Base):
    """``receivables.promise_broken``: a fact, written once."""

    __tablename__ = "broken_promises"
    __table_args__ = (Index("ix_broken_promises_tenant_id_broken_on", "tenant_id", "broken_on"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    promise_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    invoice_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    collector_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    promised_date: Mapped[date] = mapped_column(Date)
    broken_on: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    open_amount: Mapped[Decimal] = mapped_column(Numeric)


class PaymentPlan(Base):
    """``receivables.payment_plan_changed`` (issue 19): a plan's latest state, by revision; the broken ones make the
    ``plans_broken`` alarm."""

    __tablename__ = "payment_plans"
    __table_args__ = (
        Index("ix_payment_plans_broken", "tenant_id", "broken_on", postgresql_where=text("status = 'broken'")),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    plan_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer)
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    collector_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    status: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    principal: Mapped[Decimal] = mapped_column(Numeric)
    paid_amount: Mapped[Decimal] = mapped_column(Numeric)
    installments: Mapped[int] = mapped_column(Integer)
    unpaid_installments: Mapped[int] = mapped_column(Integer)
    broken_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class ActionItem(Base):
    """``dunning.action_item_changed``; ``changed_at`` (the event's time) orders the changes."""

    __tablename__ = "action_items"
    __table_args__ = (Index("ix_action_items_open", "tenant_id", postgresql_where=text("status = 'open'")),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    invoice_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)))
    action: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    created_on: Mapped[date] = mapped_column(Date)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # the action notice's state as dunning knows it: pending, sent, failed; None for a manual item
    notice_state: Mapped[str | None] = mapped_column(String(10), nullable=True)


class AlarmSetting(Base):
    """A tenant's setting of one alarm; an alarm without a row uses ``tenant_settings.rules.DEFAULTS``."""

    __tablename__ = "alarm_settings"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    alarm: Mapped[str] = mapped_column(String(40), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    hour: Mapped[int] = mapped_column(SmallInteger)
    weekdays: Mapped[list[int]] = mapped_column(ARRAY(SmallInteger))
    weekday: Mapped[int] = mapped_column(SmallInteger)
    threshold_days: Mapped[int] = mapped_column(SmallInteger)
    lookback_days: Mapped[int] = mapped_column(SmallInteger)
    # issue 18: the workload's spread, the contacts planned per day, the overdue thresholds per currency
    spread_percent: Mapped[int] = mapped_column(SmallInteger, server_default=text("50"))
    contacts_per_day: Mapped[int] = mapped_column(SmallInteger, server_default=text("20"))
    thresholds: Mapped[dict[str, str]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    updated_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=NOW)


class Run(Base):
    """One computation of some alarms of a tenant for a date: scheduled or on demand."""

    __tablename__ = "runs"
    __table_args__ = (
        Index("ix_runs_tenant_id_created_at", "tenant_id", "created_at"),
        Index("ix_runs_queued", "created_at", postgresql_where=text("status = 'queued'")),
        *tenant_keys("runs", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    as_of: Mapped[date] = mapped_column(Date)
    trigger: Mapped[str] = mapped_column(String(20))  # schedule | manual
    alarms: Mapped[list[str]] = mapped_column(ARRAY(Text))
    status: Mapped[str] = mapped_column(String(20))  # queued | completed | failed
    requested_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    digests: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    rows: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    already_sent: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    unrouted: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=NOW)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # when the retry a run waits for is due (receivables was unavailable): until then the sweeper leaves it alone
    retry_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ScheduleSlot(Base):
    """A scheduled period taken: the scheduler queues each tenant's alarm once per period."""

    __tablename__ = "schedule_slots"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    alarm: Mapped[str] = mapped_column(String(40), primary_key=True)
    period: Mapped[str] = mapped_column(String(10), primary_key=True)
    run_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=NOW)


class DigestStaging(Base):
    """A run's digest rows between its statements and its transaction (unlogged: a crash only loses a run that
    is retried anyway). Rows of a run that never finished are purged by the scheduler."""

    __tablename__ = "digest_staging"
    __table_args__ = (Index("ix_digest_staging_run_id", "run_id"), {"prefixes": ["UNLOGGED"]})

    seq: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    run_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    alarm: Mapped[str] = mapped_column(String(40))
    audience: Mapped[str] = mapped_column(String(20))
    key: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    rows: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # json, not jsonb: written once, read back whole
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=NOW)


class Digest(Base):
    """A digest handed to messaging: one per tenant, alarm, audience, recipient and period (unique), written in
    the same transaction as its ``messaging.send_communications`` command."""

    __tablename__ = "digests"
    __table_args__ = (
        Index(
            "uq_digests_once_per_period",
            "tenant_id",
            "alarm",
            "audience",
            "recipient_id",
            "period",
            unique=True,
        ),
        Index("ix_digests_tenant_id_created_at", "tenant_id", "created_at"),
        Index("ix_digests_run_id", "run_id"),
        *tenant_keys("digests", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    run_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    alarm: Mapped[str] = mapped_column(String(40))
    audience: Mapped[str] = mapped_column(String(20))
    period: Mapped[str] = mapped_column(String(10))
    as_of: Mapped[date] = mapped_column(Date)
    recipient_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    recipient_kind: Mapped[str] = mapped_column(String(10))
    recipient_user_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    recipient_name: Mapped[str] = mapped_column(String(200))
    recipient_email: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(8))
    row_count: Mapped[int] = mapped_column(Integer)
    customers: Mapped[int] = mapped_column(Integer)
    totals: Mapped[dict[str, str]] = mapped_column(JSONB)
    rows: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    idempotency_key: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20))  # sent: handed to messaging
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=NOW)


class LoginAlert(Base):
    """``gateway.login_failures_exceeded``: an account of the tenant failed to log in too often. The tenant's active
    admins (``recipients``: their emails) were told by email; the id is the event's, so a repeat writes nothing."""

    __tablename__ = "login_alerts"
    __table_args__ = (
        Index("ix_login_alerts_tenant_id_occurred_at", "tenant_id", "occurred_at"),
        *tenant_keys("login_alerts", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    username: Mapped[str] = mapped_column(String(320))
    address: Mapped[str] = mapped_column(String(100))
    failures: Mapped[int] = mapped_column(Integer)
    window_seconds: Mapped[int] = mapped_column(Integer)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recipients: Mapped[list[str]] = mapped_column(ARRAY(Text))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=NOW)


class Task(Base):
    """``receivables.task_changed``: a task, its assignee and due date (the tasks-overdue alarm, issue 18)."""

    __tablename__ = "tasks"
    __table_args__ = (Index("ix_tasks_open_due", "tenant_id", "due_date", postgresql_where=text("status = 'open'")),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    title: Mapped[str] = mapped_column(String(300))
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(20))


class Contact(Base):
    """``receivables.outcome_recorded``: a contact a person made (the contact-rate alarm, issue 18), a fact written
    once. ``user_id`` is who recorded it (a user), else the customer's collector."""

    __tablename__ = "contacts"
    __table_args__ = (Index("ix_contacts_tenant_id_contacted_at", "tenant_id", "contacted_at"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    kind: Mapped[str] = mapped_column(String(30))
    contacted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CustomerSigns(Base):
    """``receivables.warning_signs_changed``: a customer's whole state of warning signs and computed risk (issue 18,
    seed 001); an empty ``signs`` means none any more. ``announced_at`` orders the refreshes."""

    __tablename__ = "customer_signs"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    collector_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    risk_level: Mapped[str | None] = mapped_column(String(10), nullable=True)
    risk_reasons: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'::text[]"))
    signs: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    day: Mapped[date] = mapped_column(Date)
    announced_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ThresholdCrossing(Base):
    """A customer whose overdue total in a currency is above the tenant's threshold and was told (issue 18): told
    once per crossing; the row goes when the total falls back under, so a new crossing is told again."""

    __tablename__ = "threshold_crossings"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    crossed_on: Mapped[date] = mapped_column(Date)


class InboxItem(Base):
    """What alarms sent a user (issue 18, the inbox): each digest addressed to the user (written with the digest) and
    each alert to the tenant's admins (a login under attack, a webhook endpoint disabled), with what its email said;
    acknowledged by the user (``acknowledged_at``). ``source_id``: the digest's id, the login alert's, or the
    webhook alert's event."""

    __tablename__ = "inbox_items"
    __table_args__ = (
        Index("ix_inbox_items_user_created_at", "tenant_id", "user_id", "created_at"),
        Index("uq_inbox_items_source", "tenant_id", "user_id", "kind", "source_id", unique=True),
        *tenant_keys("inbox_items", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    kind: Mapped[str] = mapped_column(String(20))  # digest | login_alert | webhook_disabled
    source_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    alarm: Mapped[str | None] = mapped_column(String(40), nullable=True)  # a digest's alarm
    period: Mapped[str | None] = mapped_column(String(10), nullable=True)  # a digest's period
    title: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)
    lines: Mapped[list[str]] = mapped_column(JSONB)
    action: Mapped[str] = mapped_column(Text)
    row_count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=NOW)
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
