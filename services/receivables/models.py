# Over 500 lines on purpose: only table definitions (no behaviour), one class per table, kept in one module so that
# the whole schema reads in one place next to its migrations (tests/platform/test_models_match_migrations.py).
"""The receivables schema: every table lives in the ``receivables`` PostgreSQL schema.

The models mirror migration 0002 column for column. Writes that touch many rows use these tables through
Core or plain SQL (set-based); the ORM is used where one row is changed at a time.
"""

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Identity,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import IdMixin, SchemaBase, TimestampMixin, tenant_keys, tenant_reference
from shared.inbox import inbox_table
from shared.outbox import outbox_table

SCHEMA = "receivables"


class Base(SchemaBase, schema=SCHEMA):
    """The base of this schema's models (``shared.db.SchemaBase``)."""


outbox = outbox_table(Base.metadata)
inbox = inbox_table(Base.metadata)


class Customer(IdMixin, TimestampMixin, Base):
    __tablename__ = "customers"
    __table_args__ = (
        Index("uq_customers_tenant_external_id", "tenant_id", "external_id", unique=True),
        Index("ix_customers_tenant_name", "tenant_id", "name", "id"),
        Index("ix_customers_tags", "tags", postgresql_using="gin"),
        Index("ix_customers_advisor_id", "advisor_id"),
        *tenant_keys("customers", "id"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
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
    # Computed from payment behaviour (issue 18, seed 001: ``signs/``), beside the ERP's label above.
    computed_risk_level: Mapped[str | None] = mapped_column(String(10), nullable=True)
    computed_risk_reasons: Mapped[list[str]] = mapped_column(
        ARRAY(String(300)), default=list, server_default=text("'{}'")
    )
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(60)), default=list, server_default=text("'{}'"))
    # [{"channel": "email", "address": "...", "invalid": false}]: small, read and written with the customer.
    contacts: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list, server_default=text("'[]'"))
    opted_out_channels: Mapped[list[str]] = mapped_column(ARRAY(String(10)), default=list, server_default=text("'{}'"))
    collector_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True, index=True)
    advisor_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # The ERP's version of the row (bulk ingestion): an older version never overwrites a newer one.
    source_version: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class WarningSign(Base):
    """One warning sign a customer shows (seed 001: "Demoras en el pago de facturas", "Pagar las facturas pequeñas
    antes que las grandes", ...) with its evidence; refreshed daily and on each payment (``signs/``)."""

    __tablename__ = "warning_signs"
    __table_args__ = (
        *tenant_keys("warning_signs", "customer_id", "sign"),
        tenant_reference("fk_warning_signs_customer_id_customers", "customer_id", "receivables.customers"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    sign: Mapped[str] = mapped_column(String(30), primary_key=True)  # shared.contracts.receivables.WarningSignKind
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default=text("'{}'::jsonb"))
    first_seen_on: Mapped[date] = mapped_column(Date)
    refreshed_on: Mapped[date] = mapped_column(Date)


class SignsRefresh(Base):
    """A refresh of a whole tenant's warning signs (issue 13, point 6): requested through the API and computed by
    the worker, or run by the daily cron; at most one queued or running per tenant (``signs/service.py``)."""

    __tablename__ = "signs_refreshes"
    __table_args__ = (
        *tenant_keys("signs_refreshes", "id"),
        Index("ix_signs_refreshes_tenant_requested", "tenant_id", "requested_at", "id"),
        Index(
            "uq_signs_refreshes_active",
            "tenant_id",
            unique=True,
            postgresql_where=text("status IN ('queued', 'running')"),
        ),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    day: Mapped[date] = mapped_column(Date)  # the tenant's today the signs are computed on
    status: Mapped[str] = mapped_column(String(10), server_default=text("'queued'"))  # queued/running/completed/failed
    trigger: Mapped[str] = mapped_column(String(10))  # manual (the API) or daily (the cron)
    requested_by: Mapped[str | None] = mapped_column(String(80), nullable=True)  # the actor; None for the cron
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    customers: Mapped[int | None] = mapped_column(Integer, nullable=True)
    changed: Mapped[int | None] = mapped_column(Integer, nullable=True)
    risk_changed: Mapped[int | None] = mapped_column(Integer, nullable=True)
    signs: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(String(2000), nullable=True)


class TenantUser(Base):
    """The tenant's people as the gateway announces them (collectors, supervisors, ...): a projection. A user not
    announced yet is asked of the gateway (``announced_at`` NULL then: any event replaces that row)."""

    __tablename__ = "users"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    full_name: Mapped[str] = mapped_column(String(200))
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(20)))
    active: Mapped[bool] = mapped_column(Boolean)
    announced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Tenant(Base):
    """The tenant profile (projection of gateway.tenant_changed) and the tenant's receivables settings."""

    __tablename__ = "tenants"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    slug: Mapped[str | None] = mapped_column(String(60), nullable=True)
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    default_currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    # issue 15, from gateway.tenant_changed: a sandbox tenant, and its test clock (NULL: the wall clock)
    sandbox: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    test_clock: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # when the gateway announced what the row holds: an older announcement arriving late never wins
    announced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    promise_grace_days: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    follow_up_days: Mapped[int] = mapped_column(Integer, default=3, server_default=text("3"))
    action_owner_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    # Credit notes and over-payments go to open invoices by themselves; off: kept as credit and only reported.
    auto_apply_credits: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    # The points each reason of the worklist is worth (issue 18); only the tenant's changes, the rest default.
    worklist_weights: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default=text("'{}'::jsonb"))
    # The warning signs' thresholds (issue 18, ``signs/rules.py``) and the tenant's local day of the last daily refresh.
    signs_recent_payments: Mapped[int] = mapped_column(Integer, default=3, server_default=text("3"))
    signs_days_late_increase: Mapped[int] = mapped_column(Integer, default=10, server_default=text("10"))
    signs_small_before_large: Mapped[int] = mapped_column(Integer, default=2, server_default=text("2"))
    signs_broken_promises: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    signs_bad_contacts: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    signs_overdue_growth_pct: Mapped[int] = mapped_column(Integer, default=20, server_default=text("20"))
    signs_for_high_risk: Mapped[int] = mapped_column(Integer, default=2, server_default=text("2"))
    signs_refreshed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    # issue 19: the limits of the plans the portal proposes (``plans/rules.PlanLimits``); only the tenant's changes
    plan_limits: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default=text("'{}'::jsonb"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Person(IdMixin, TimestampMixin, Base):
    """A business advisor or a supervisor (seed 002), or the phone/WhatsApp profile of a gateway user."""

    __tablename__ = "people"
    __table_args__ = (
        Index("uq_people_tenant_external_id", "tenant_id", "external_id", unique=True),
        Index("uq_people_tenant_kind_name_key", "tenant_id", "kind", "name_key", unique=True),
        Index("uq_people_tenant_user_id", "tenant_id", "user_id", unique=True),
        *tenant_keys("people", "id"),
        tenant_reference("fk_people_supervisor_id_people", "supervisor_id", "receivables.people"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # advisor | supervisor | staff
    external_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200))  # lower-cased, single-spaced name: the CSV's key
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    whatsapp: Mapped[str | None] = mapped_column(String(20), nullable=True)
    supervisor_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))


class DisputeArea(IdMixin, TimestampMixin, Base):
    """The area that resolves a dispute (seed 000) and the person responsible for it."""

    __tablename__ = "dispute_areas"
    __table_args__ = (
        Index("uq_dispute_areas_tenant_name", "tenant_id", "name", unique=True),
        *tenant_keys("dispute_areas", "id"),
        tenant_reference("fk_dispute_areas_responsible_id_people", "responsible_id", "receivables.people"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    responsible_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))


class Invoice(IdMixin, TimestampMixin, Base):
    __tablename__ = "invoices"
    __table_args__ = (
        Index("uq_invoices_tenant_external_id", "tenant_id", "external_id", unique=True),
        Index("ix_invoices_tenant_customer_due", "tenant_id", "customer_id", "due_date"),
        Index("ix_invoices_tenant_due_id", "tenant_id", "due_date", "id"),
        Index(
            "ix_invoices_open_credit_notes",
            "tenant_id",
            "customer_id",
            postgresql_where=text(
                "kind = 'credit_note' AND open_amount > 0 AND status IN ('normal', 'promise_to_pay', "
                "'payment_reported', 'dispute')"
            ),
        ),
        Index("ix_invoices_plan_id", "tenant_id", "plan_id", postgresql_where=text("plan_id IS NOT NULL")),
        *tenant_keys("invoices", "id"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    # No foreign keys on this table of millions of rows: their triggers cost a sixth of a bulk load. Customers and
    # dispute areas are never deleted (soft delete), and every write joins to them in the tenant first.
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    external_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    number: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(20), default="invoice", server_default=text("'invoice'"))
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(Numeric)
    open_amount: Mapped[Decimal] = mapped_column(Numeric)
    issue_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    document_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="normal", server_default=text("'normal'"))
    promised_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    reported_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    dispute_area_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    # When it left the receivables (paid, written off, void): the day the KPIs count it collected or gone.
    closed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    source_version: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # A credit note: the invoices it settles (ids or the ERP's external ids), in order; empty: oldest first.
    applies_to: Mapped[list[str]] = mapped_column(ARRAY(String(100)), default=list, server_default=text("'{}'"))
    # When it entered the tenant's collections, on its clock (issue 15): the timeline's place of the invoice
    # (NULL for invoices loaded before it: their created_at).
    entered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # issue 19: an installment's payment plan, or the plan an ``in_plan`` invoice is grouped in (``plans/``)
    plan_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)


class PaymentPlan(Base):
    """A payment plan (issue 19, seed 004: "Renegociar la deuda a tres plazos"): open invoices of one customer and
    one currency grouped into installments; ``schedule`` is the installments proposed (number, due_date, amount)."""

    __tablename__ = "payment_plans"
    __table_args__ = (
        *tenant_keys("payment_plans", "id"),
        Index("uq_payment_plans_tenant_number", "tenant_id", "number", unique=True),
        Index("uq_payment_plans_tenant_external_id", "tenant_id", "external_id", unique=True),
        Index("ix_payment_plans_tenant_customer", "tenant_id", "customer_id"),
        Index("ix_payment_plans_accepted", "tenant_id", postgresql_where=text("status = 'accepted'")),
        tenant_reference("fk_payment_plans_customer_id_customers", "customer_id", "receivables.customers"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    number: Mapped[str] = mapped_column(String(30))
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(12), server_default=text("'proposed'"))
    source: Mapped[str] = mapped_column(String(12))
    proposed_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    external_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    invoice_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)), server_default=text("'{}'"))
    schedule: Mapped[list[Any]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    principal: Mapped[Decimal] = mapped_column(Numeric)
    down_payment: Mapped[Decimal] = mapped_column(Numeric, server_default=text("0"))
    interest_annual_rate: Mapped[Decimal] = mapped_column(Numeric, server_default=text("0"))
    interest_amount: Mapped[Decimal] = mapped_column(Numeric, server_default=text("0"))
    total: Mapped[Decimal] = mapped_column(Numeric)
    grace_days: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    accepted_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    completed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    broken_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    revision: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Payment(IdMixin, TimestampMixin, Base):
    __tablename__ = "payments"
    __table_args__ = (
        Index("uq_payments_tenant_external_id", "tenant_id", "external_id", unique=True),
        Index("ix_payments_tenant_customer_date", "tenant_id", "customer_id", "payment_date"),
        Index(
            "ix_payments_unapplied",
            "tenant_id",
            "customer_id",
            postgresql_where=text("status = 'applied' AND unapplied_amount > 0"),
        ),
        *tenant_keys("payments", "id"),
        tenant_reference("fk_payments_customer_id_customers", "customer_id", "receivables.customers"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    external_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(Numeric)
    unapplied_amount: Mapped[Decimal] = mapped_column(Numeric)  # over-payment kept as the customer's credit
    payment_date: Mapped[date] = mapped_column(Date)
    reference: Mapped[str | None] = mapped_column(String(120), nullable=True)
    status: Mapped[str] = mapped_column(String(10), default="applied", server_default=text("'applied'"))
    reversed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    reversal_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    # The invoices the payer named (ids), empty when allocated oldest-first; kept to re-apply a new version.
    named_invoices: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list, server_default=text("'[]'"))
    source_version: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_by: Mapped[str | None] = mapped_column(String(80), nullable=True)


class PaymentAllocation(Base):
    __tablename__ = "payment_allocations"
    __table_args__ = (
        Index("ix_payment_allocations_payment_id", "payment_id"),
        Index("ix_payment_allocations_invoice_id", "invoice_id"),
        *tenant_keys("payment_allocations", "id"),
        tenant_reference("fk_payment_allocations_payment_id_payments", "payment_id", "receivables.payments"),
        tenant_reference("fk_payment_allocations_invoice_id_invoices", "invoice_id", "receivables.invoices"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    payment_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    invoice_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    amount: Mapped[Decimal] = mapped_column(Numeric)
    payment_date: Mapped[date] = mapped_column(Date)
    reversed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CreditApplication(Base):
    """A credit note's money applied to an invoice (issue 12); undone (``reversed_at``) when the credit note
    changes or is voided, or the invoice is voided. Over-payments applied later are payment allocations."""

    __tablename__ = "credit_applications"
    __table_args__ = (
        Index("ix_credit_applications_credit_id", "credit_id", postgresql_where=text("reversed_at IS NULL")),
        Index("ix_credit_applications_invoice_id", "invoice_id", postgresql_where=text("reversed_at IS NULL")),
        *tenant_keys("credit_applications", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    credit_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    invoice_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    amount: Mapped[Decimal] = mapped_column(Numeric)
    reversed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # the tenant's day it was applied, on its clock (issue 15; NULL before it: created_at's date)
    applied_on: Mapped[date | None] = mapped_column(Date, nullable=True)


class Promise(IdMixin, Base):
    """A promise to pay one invoice by a date (seed 000): open, then kept, broken or cancelled."""

    __tablename__ = "promises"
    __table_args__ = (
        Index("ix_promises_open_due", "tenant_id", "promised_date", postgresql_where=text("status = 'open'")),
        Index(
            "uq_promises_open_invoice", "tenant_id", "invoice_id", unique=True, postgresql_where=text("status = 'open'")
        ),
        Index("ix_promises_tenant_resolved_on", "tenant_id", "resolved_on"),
        Index("ix_promises_tenant_customer", "tenant_id", "customer_id"),
        *tenant_keys("promises", "id"),
        tenant_reference("fk_promises_customer_id_customers", "customer_id", "receivables.customers"),
        tenant_reference("fk_promises_invoice_id_invoices", "invoice_id", "receivables.invoices"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    invoice_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    outcome_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    promised_date: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(Numeric)
    collector_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    status: Mapped[str] = mapped_column(String(10), default="open", server_default=text("'open'"))
    resolved_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # when it was made on the tenant's calendar (the outcome's occurred_at; issue 15)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Outcome(IdMixin, Base):
    """The result of a personal contact (seed 000's five outcomes), with who, why and the note (seed 004)."""

    __tablename__ = "outcomes"
    __table_args__ = (
        Index("ix_outcomes_tenant_recorded_at", "tenant_id", "recorded_at"),
        Index("ix_outcomes_tenant_customer", "tenant_id", "customer_id", "recorded_at"),
        Index("ix_outcomes_tenant_occurred_at", "tenant_id", "occurred_at"),
        *tenant_keys("outcomes", "id"),
        tenant_reference("fk_outcomes_customer_id_customers", "customer_id", "receivables.customers"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    kind: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(20))
    spoke_with: Mapped[str | None] = mapped_column(String(200), nullable=True)
    excuse: Mapped[str | None] = mapped_column(String(30), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    hashtags: Mapped[list[str]] = mapped_column(ARRAY(String(60)), default=list, server_default=text("'{}'"))
    invoice_ids: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(UUID(as_uuid=True)), default=list, server_default=text("'{}'")
    )
    promised_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    reported_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    reported_reference: Mapped[str | None] = mapped_column(String(120), nullable=True)
    dispute_area_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    task_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    note_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    message_key: Mapped[str | None] = mapped_column(String(120), nullable=True)
    message_skipped: Mapped[str | None] = mapped_column(String(200), nullable=True)
    collector_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    recorded_by: Mapped[str] = mapped_column(String(80))
    recorded_by_user_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # when the contact happened on the tenant's calendar (back-dated, or its test clock; issue 15)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Note(IdMixin, Base):
    """Who I spoke with, why they have not paid, what comes next, and hashtags (seed 004)."""

    __tablename__ = "notes"
    __table_args__ = (
        Index("ix_notes_tenant_customer", "tenant_id", "customer_id", "created_at"),
        Index("ix_notes_tenant_created_at", "tenant_id", "created_at"),
        Index("ix_notes_tenant_occurred_at", "tenant_id", "occurred_at"),
        Index("ix_notes_hashtags", "hashtags", postgresql_using="gin"),
        *tenant_keys("notes", "id"),
        tenant_reference("fk_notes_customer_id_customers", "customer_id", "receivables.customers"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    body: Mapped[str] = mapped_column(Text)
    spoken_with: Mapped[str | None] = mapped_column(String(200), nullable=True)  # who?
    reason: Mapped[str | None] = mapped_column(String(30), nullable=True)  # why not paid? (outcomes.rules.Excuse)
    agreed: Mapped[str | None] = mapped_column(Text, nullable=True)  # what was agreed?
    hashtags: Mapped[list[str]] = mapped_column(ARRAY(String(60)), default=list, server_default=text("'{}'"))
    invoice_ids: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(UUID(as_uuid=True)), default=list, server_default=text("'{}'")
    )
    outcome_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    author: Mapped[str] = mapped_column(String(80))
    author_user_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Task(IdMixin, TimestampMixin, Base):
    """Something actionable to do, for someone, by a date, possibly under a supervisor (seed 004)."""

    __tablename__ = "tasks"
    __table_args__ = (
        Index("uq_tasks_tenant_idempotency_key", "tenant_id", "idempotency_key", unique=True),
        Index("ix_tasks_tenant_assignee_status_due", "tenant_id", "assignee_id", "status", "due_date"),
        Index("ix_tasks_tenant_customer", "tenant_id", "customer_id"),
        *tenant_keys("tasks", "id"),
        tenant_reference("fk_tasks_customer_id_customers", "customer_id", "receivables.customers"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    supervisor_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(12), default="open", server_default=text("'open'"))
    source: Mapped[str] = mapped_column(String(40), default="manual", server_default=text("'manual'"))
    outcome_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_by: Mapped[str] = mapped_column(String(80))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    completed_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    # when it was given on the tenant's calendar (back-dated, or its test clock; issue 15)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class TimelineEntry(IdMixin, Base):
    """The customer's log [bitácora]. Invoices add themselves (read from ``invoices``); all else is written here.

    Status changes carry ``invoice_id``: they are also the invoice's history (who, when, why).
    """

    __tablename__ = "timeline_entries"
    __table_args__ = (
        Index("ix_timeline_entries_customer", "tenant_id", "customer_id", "occurred_at", "id"),
        Index(
            "ix_timeline_entries_invoice",
            "tenant_id",
            "invoice_id",
            "occurred_at",
            postgresql_where=text("invoice_id IS NOT NULL"),
        ),
        Index(  # the worklist's "reply waiting" (issue 18): a customer's replies without its other entries
            "ix_timeline_entries_replies",
            "tenant_id",
            "customer_id",
            "occurred_at",
            postgresql_where=text("kind = 'reply_received'"),
        ),
        Index(
            "uq_timeline_entries_message",
            "tenant_id",
            "ref_id",
            unique=True,
            postgresql_where=text("kind = 'message'"),
        ),
        *tenant_keys("timeline_entries", "id"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    kind: Mapped[str] = mapped_column(String(30))
    invoice_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    ref_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    summary: Mapped[str] = mapped_column(String(500))
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default=text("'{}'"))
    actor: Mapped[str | None] = mapped_column(String(80), nullable=True)


class Charge(IdMixin, TimestampMixin, Base):
    """A late charge (issue 19): a document of its own beside its invoice. ``id`` is dunning's ``charge_id`` and
    ``key`` its idempotency key (invoice, rule, period): recorded once, however often it is assessed."""

    __tablename__ = "charges"
    __table_args__ = (
        Index("uq_charges_tenant_key", "tenant_id", "key", unique=True),
        Index("ix_charges_tenant_customer", "tenant_id", "customer_id", "created_at"),
        Index("ix_charges_tenant_invoice", "tenant_id", "invoice_id"),
        Index("ix_charges_tenant_created", "tenant_id", "created_at", "id"),
        *tenant_keys("charges", "id"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    invoice_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    kind: Mapped[str] = mapped_column(String(20))  # shared.contracts.common.ChargeKind
    description: Mapped[str] = mapped_column(String(300))
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(Numeric)
    charged_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="open", server_default=text("'open'"))  # ChargeStatus
    waived_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    waived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    waive_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    erp_document: Mapped[str | None] = mapped_column(String(100), nullable=True)
    invoiced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
