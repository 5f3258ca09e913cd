# Over 450 lines on purpose: only table definitions (no behaviour), one class per table of the dunning schema, kept
# in one module so that the migrations are checked against one place (tests/platform/test_models_match_migrations.py).
"""The dunning schema: the projection of customers and open invoices, strategies, runs, what was sent,
action items. Only dunning writes it; the projection is kept from receivables' events."""

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSON, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import IdMixin, SchemaBase, TimestampMixin, tenant_keys
from shared.inbox import inbox_table
from shared.outbox import outbox_table

SCHEMA = "dunning"


class Base(SchemaBase, schema=SCHEMA):
    """The base of this schema's models (``shared.db.SchemaBase``)."""


outbox = outbox_table(Base.metadata)
inbox = inbox_table(Base.metadata)

EMPTY_UUIDS = text("'{}'::uuid[]")
EMPTY_TEXTS = text("'{}'::text[]")


class Tenant(Base):
    """The tenant as the gateway announces it (country and time zone decide business days and "today"),
    plus its dunning settings."""

    __tablename__ = "tenants"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    default_currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    announced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # issue 15, from gateway.tenant_changed: a sandbox tenant, and its test clock (NULL: the wall clock)
    sandbox: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    test_clock: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # settings
    automatic: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    run_hour: Mapped[int] = mapped_column(SmallInteger, server_default=text("8"))
    tolerances: Mapped[dict[str, str]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    holiday_subdivision: Mapped[str | None] = mapped_column(String(10), nullable=True)
    extra_holidays: Mapped[list[date]] = mapped_column(ARRAY(Date), server_default=text("'{}'::date[]"))
    action_owner_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    # a customer's reply pauses their automatic reminders for this many days (issue 10)
    reply_pause_days: Mapped[int] = mapped_column(SmallInteger, server_default="3")  # as migration 0008: '3'::smallint
    last_resync: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)
    # issue 19: the default fee rules (a strategy without ``fees`` takes them) and the legal maximum annual rate
    # (a percent a year: 120 is 120%)
    fee_rules: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    legal_max_annual_rate: Mapped[Decimal | None] = mapped_column(Numeric, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))


class Customer(Base):
    """Projection of receivables' customers (snapshot events with a revision: an older one never wins)."""

    __tablename__ = "customers"
    # the customers changed since the last assessment of late charges (issue 19: fees/watermark.py)
    __table_args__ = (Index("ix_customers_seen", "tenant_id", "seen_at"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer)
    external_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    name: Mapped[str] = mapped_column(String(300))
    tax_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    segment: Mapped[str | None] = mapped_column(String(60), nullable=True)
    vip: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    risk_level: Mapped[str | None] = mapped_column(String(10), nullable=True)
    # Receivables' computed risk (issue 18: warning signs), beside the ERP's label: selection rules may use either.
    computed_risk_level: Mapped[str | None] = mapped_column(String(10), nullable=True)
    tags: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=EMPTY_TEXTS)
    contacts: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    opted_out_channels: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=EMPTY_TEXTS)
    # channels with a valid contact and no opt-out: derived on write, read by set-based queries (forecast)
    usable_channels: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=EMPTY_TEXTS)
    # the first valid address per channel, unless opted out (``first_addresses``): derived on write, read by the
    # run's plan
    addresses: Mapped[dict[str, str]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    collector_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    people: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))  # collector, advisor…
    # unapplied credit per currency ({"ARS": "120.00"}) from the snapshot: messages state the debt net of it
    credits: Mapped[dict[str, str]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    deleted: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
    # the tenant's local day of the customer's latest reply (not a STOP): reminders pause from it
    replied_on: Mapped[date | None] = mapped_column(Date, nullable=True)


class Invoice(Base):
    """Projection of receivables' invoices, plus the dunning state of each: the steps it had (by stable
    step id), the one awaiting acceptance, and whether an action notice stopped its reminders."""

    __tablename__ = "invoices"
    __table_args__ = (
        # The run's partial index: only invoices that can be reminded, by due date.
        Index("ix_invoices_dunnable", "tenant_id", "due_date", postgresql_where=text("status = 'normal'")),
        Index("ix_invoices_customer", "tenant_id", "customer_id"),
        # a customer's oldest debt, one probe (``runs/statements.final_tones``, migration 0050)
        Index(
            "ix_invoices_customer_dunnable",
            "tenant_id",
            "customer_id",
            "due_date",
            postgresql_where=text("status = 'normal'"),
        ),
        # the invoices changed since the last assessment of late charges (issue 19: fees/watermark.py)
        Index("ix_invoices_seen", "tenant_id", "seen_at"),
        # a tenth of each page free: a run's marks (pending, accepted, done) stay heap-only updates (migration 0048)
        {"postgresql_with": {"fillfactor": 90}},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    revision: Mapped[int] = mapped_column(Integer)
    external_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    number: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(20), server_default=text("'invoice'"))
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(Numeric)
    open_amount: Mapped[Decimal] = mapped_column(Numeric)
    issue_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))
    promised_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    reported_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    dispute_area_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    document_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    # issue 19: an installment's payment plan (kind ``installment``: the plans' strategy follows it), or the plan an
    # ``in_plan`` invoice is grouped in
    plan_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    missing_upstream: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
    # dunning state (the step awaiting messaging's answer is a ``PendingStep``)
    steps_done: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)), server_default=EMPTY_UUIDS)
    stopped_by_action: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))


class PendingStep(Base):
    """An invoice's step handed to messaging and not sent yet: a later run does not hand it over again while
    messaging holds it (``accepted``) or nobody answered for less than the pending expiry. A narrow table of its
    own (migration 0049): a run marks every invoice it reminds, and an insert here costs a fraction of an update of
    the wide invoice row with its four indexes (a catch-up run marks every invoice of the portfolio)."""

    __tablename__ = "pending_steps"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    invoice_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    step_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    since: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
    # messaging accepted the step's message and still holds it: the pending expiry does not apply
    accepted: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))


class Strategy(IdMixin, TimestampMixin, Base):
    """Which customers (``match``), which steps, in which order of priority. Every edit is a new version."""

    __tablename__ = "strategies"
    __table_args__ = (
        Index(
            "uq_strategies_one_default", "tenant_id", unique=True, postgresql_where=text("is_default AND NOT archived")
        ),
        Index("uq_strategies_name", "tenant_id", "name", unique=True, postgresql_where=text("NOT archived")),
        # issue 19: at most one live strategy for the installments of payment plans
        Index(
            "uq_strategies_one_for_plans",
            "tenant_id",
            unique=True,
            postgresql_where=text("for_payment_plans AND active AND NOT archived"),
        ),
        *tenant_keys("strategies", "id"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    priority: Mapped[int] = mapped_column(Integer)
    is_default: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    manual_only: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    # issue 19: follows the installments of payment plans; never chosen for a customer
    for_payment_plans: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    archived: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    match: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    fees: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB, nullable=True)  # NULL: the tenant's defaults
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    updated_by: Mapped[str | None] = mapped_column(String(80), nullable=True)


class StrategyVersion(Base):
    """Every version of a strategy as it was, for audit and for reading an old run."""

    __tablename__ = "strategy_versions"
    __table_args__ = (*tenant_keys("strategy_versions", "strategy_id", "version"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    strategy_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONB)
    changed_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))


class Run(IdMixin, Base):
    """A dunning run for one as-of date: dry (a plan) or real (steps dispatched), with its counts."""

    __tablename__ = "runs"
    __table_args__ = (
        Index("ix_runs_tenant_created", "tenant_id", "created_at", "id"),
        # one scheduled run per tenant and local day
        Index("uq_runs_scheduled", "tenant_id", "as_of", unique=True, postgresql_where=text("trigger = 'schedule'")),
        # the sweeper's look-up of runs whose job or worker was lost, dry and real (runs.jobs)
        Index("ix_runs_unfinished", "status", postgresql_where=text("status IN ('queued', 'running')")),
        *tenant_keys("runs", "id"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    as_of: Mapped[date] = mapped_column(Date)
    dry_run: Mapped[bool] = mapped_column(Boolean)
    trigger: Mapped[str] = mapped_column(String(20))  # manual | schedule
    status: Mapped[str] = mapped_column(String(20))  # queued | running | completed | skipped | failed | interrupted
    requested_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    counts: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    strategy_versions: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # stamped while a worker executes the run: a stale one means the worker died (runs.jobs.sweep_runs)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # a real run's plan is written to the dispatches (with their parts) once, at this moment (runs.service)
    planned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # a dry run: how many planned entries to keep, and, once the worker computed it, the first ``plan_limit``
    # entries as the API shows them: {"items": [...], "truncated": bool} (runs.dry_runs.execute_dry_run)
    plan_limit: Mapped[int | None] = mapped_column(Integer, nullable=True)
    plan: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)


class RunPart(Base):
    """One part of a real run (its customers by hash): any worker hands it over, in one transaction that also
    stamps ``handed_at``; a worker killed in the middle leaves it to the next (runs.service.hand_over_parts)."""

    __tablename__ = "run_parts"
    # Named as PostgreSQL named it: migration 0022 came after 0021 renamed the keys to the pk_ convention.
    __table_args__ = (PrimaryKeyConstraint("tenant_id", "run_id", "part", name="run_parts_pkey"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    run_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    part: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    communications: Mapped[int] = mapped_column(Integer)
    handed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Dispatch(IdMixin, Base):
    """What a run handed over for one customer: a communication to messaging or a task to receivables when
    no channel was left. A communication is pending (nobody answered), accepted (messaging holds it), sent
    (its steps are done), or failed (its steps fell back: ``origin_id`` ties each fallback to the first
    dispatch of its chain)."""

    __tablename__ = "dispatches"
    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key"),
        Index("ix_dispatches_customer", "tenant_id", "customer_id", "created_at"),
        Index("ix_dispatches_run", "run_id", "id"),
        Index("ix_dispatches_origin", "origin_id", postgresql_where=text("origin_id IS NOT NULL")),
        Index("ix_dispatches_run_part", "run_id", "part", postgresql_where=text("part IS NOT NULL")),
        *tenant_keys("dispatches", "id"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    run_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    as_of: Mapped[date] = mapped_column(Date)
    idempotency_key: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str | None] = mapped_column(String(10), nullable=True)  # None: a task
    address: Mapped[str | None] = mapped_column(String(254), nullable=True)
    kind: Mapped[str] = mapped_column(String(20))
    tone: Mapped[int] = mapped_column(SmallInteger)
    action: Mapped[str | None] = mapped_column(String(20), nullable=True)
    state: Mapped[str] = mapped_column(String(12))  # pending | accepted | sent | failed | task
    strategy_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    invoice_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)))
    step_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)))
    step_keys: Mapped[list[str]] = mapped_column(ARRAY(Text))
    action_invoice_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)), server_default=EMPTY_UUIDS)
    message_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    delivery_state: Mapped[str | None] = mapped_column(String(12), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    origin_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)  # a fallback's chain
    part: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)  # the run's part (RunPart); None: fallback


class PlannedMessage(Base):
    """A communication a real run planned, waiting for its part to be handed over: the part writes its dispatch (the
    tone then raised by the customer's oldest debt when ``aged``) and deletes the row, in one transaction
    (``runs.handover_repository.hand_over_part``). Only the key: the plan writes these on one core."""

    __tablename__ = "planned_messages"
    __table_args__ = (PrimaryKeyConstraint("tenant_id", "run_id", "part", "id"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    run_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    part: Mapped[int] = mapped_column(SmallInteger)
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    as_of: Mapped[date] = mapped_column(Date)
    idempotency_key: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(10))
    address: Mapped[str | None] = mapped_column(String(254), nullable=True)
    kind: Mapped[str] = mapped_column(String(20))
    tone: Mapped[int] = mapped_column(SmallInteger)  # the steps', raised by its own items' age (``aged``: not final)
    aged: Mapped[bool] = mapped_column(Boolean)
    action: Mapped[str | None] = mapped_column(String(20), nullable=True)
    state: Mapped[str] = mapped_column(String(12))
    strategy_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    invoice_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)))
    step_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)))
    step_keys: Mapped[list[str]] = mapped_column(ARRAY(Text))
    action_invoice_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)))


class ActionItem(IdMixin, TimestampMixin, Base):
    """Something a person must do with a customer (seed 000: suspend service, legal, write off, call).
    While open, its invoices get no reminders; it feeds the daily actions alarm."""

    __tablename__ = "action_items"
    __table_args__ = (
        Index("ix_action_items_list", "tenant_id", "created_at", "id"),
        Index("ix_action_items_open", "tenant_id", postgresql_where=text("status = 'open'")),
        UniqueConstraint("tenant_id", "dispatch_id"),
        *tenant_keys("action_items", "id"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    invoice_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)))
    action: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12))  # open | done | cancelled
    source: Mapped[str] = mapped_column(String(12))  # step | manual
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    created_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    # the action notice's real state: pending (messaging holds it), sent, failed; None for a manual item
    notice_state: Mapped[str | None] = mapped_column(String(10), nullable=True)
    strategy_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    step_key: Mapped[str | None] = mapped_column(String(40), nullable=True)
    dispatch_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    resolution_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    resolved_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_by: Mapped[str | None] = mapped_column(String(80), nullable=True)


class Experiment(IdMixin, TimestampMixin, Base):
    """A strategy experiment (issue 19): the customers the normal selection gives ``scope_strategy_id`` are dealt to
    ``variants`` ([{key, name, strategy_id, weight}]) by stratum; draft, running, then stopped (with a chosen variant
    everyone follows from then on, or none: back to the normal selection). At most one running per scope."""

    __tablename__ = "experiments"
    __table_args__ = (
        Index(
            "uq_experiments_running_scope",
            "tenant_id",
            "scope_strategy_id",
            unique=True,
            postgresql_where=text("status = 'running'"),
        ),
        *tenant_keys("experiments", "id"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(10))  # draft | running | stopped
    scope_strategy_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    variants: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    stratify_by: Mapped[str] = mapped_column(String(24))  # segment | risk_level | computed_risk_level | none
    started_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    ends_on: Mapped[date | None] = mapped_column(Date, nullable=True)  # the end of the hold period
    window_days: Mapped[int] = mapped_column(Integer)  # "paid within N days"
    chosen_variant: Mapped[str | None] = mapped_column(String(40), nullable=True)
    stopped_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_by: Mapped[str | None] = mapped_column(String(80), nullable=True)


class ExperimentAssignment(Base):
    """A customer's variant in an experiment: dealt once (``experiments/rules.py``), never changed."""

    __tablename__ = "experiment_assignments"
    __table_args__ = (
        PrimaryKeyConstraint("tenant_id", "experiment_id", "customer_id"),
        Index("ix_experiment_assignments_customer", "tenant_id", "customer_id"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    experiment_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    variant_key: Mapped[str] = mapped_column(String(40))
    strategy_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    stratum: Mapped[str] = mapped_column(String(120))
    assigned_on: Mapped[date] = mapped_column(Date)


class Charge(Base):
    """A late charge a run assessed (issue 19, ``dunning_service.fees``): one per idempotency key (invoice, rule,
    period), so no day charges it twice. Receivables records it as a document of its own; its status (open, waived,
    invoiced) comes back with ``ChargeChanged``, and messages carry the customer's open ones."""

    __tablename__ = "charges"
    __table_args__ = (
        PrimaryKeyConstraint("tenant_id", "id"),
        UniqueConstraint("tenant_id", "key"),
        Index("ix_charges_tenant_id_invoice_id", "tenant_id", "invoice_id"),
        Index("ix_charges_open_customer", "tenant_id", "customer_id", postgresql_where=text("status = 'open'")),
        # the charges waived (or invoiced) since the last assessment (fees/watermark.py)
        Index(
            "ix_charges_status_changed",
            "tenant_id",
            "status_changed_at",
            postgresql_where=text("status_changed_at IS NOT NULL"),
        ),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    key: Mapped[str] = mapped_column(String(200))
    invoice_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    invoice_number: Mapped[str] = mapped_column(String(60))
    strategy_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    rule_key: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(12))
    period: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text)
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(Numeric)
    charged_on: Mapped[date] = mapped_column(Date)
    run_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    status: Mapped[str] = mapped_column(String(10), server_default=text("'open'"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
    status_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class OpenCharges(Base):
    """A customer's open late charges as a message lists them (``fees.repository.OPEN_CHARGES``), kept by each
    assessment and status change: a run's messages copy the list instead of gathering ~10 charges each. Written
    only by the fees' statements, in key order (two writers wait for each other, never deadlock)."""

    __tablename__ = "open_charges"
    __table_args__ = (PrimaryKeyConstraint("tenant_id", "customer_id"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    charges: Mapped[list[dict[str, Any]]] = mapped_column(JSON)


class FeeWatermark(Base):
    """The last real assessment of a tenant's late charges (``fees/watermark.py``): the day, its transaction's
    ``now()``, a fingerprint of its configuration, how many invoices it looked at (NULL: all of them)."""

    __tablename__ = "fee_watermarks"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    as_of: Mapped[date] = mapped_column(Date)
    assessed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    fingerprint: Mapped[str] = mapped_column(String(64))
    candidates: Mapped[int | None] = mapped_column(Integer, nullable=True)


class FeeRetry(Base):
    """An invoice the last real assessment left a due period uncharged, clipped to nothing by a cap or the legal
    maximum whose room may grow: the next assessment looks at it again (``fees/watermark.py``)."""

    __tablename__ = "fee_retries"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    invoice_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
