"""Inbox handlers keeping the projection: every new message of a type in one set-based statement
(``repository``).

An older event never overwrites a newer state: snapshots of customers and invoices carry a ``revision``; tenants,
users and action items carry none, so the event's ``occurred_at`` orders them. A broken promise is a fact,
written once.
"""

import uuid
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from alarms_service.projection import repository
from shared.contracts.dunning import ActionItemChanged
from shared.contracts.gateway import TenantChanged, UserChanged
from shared.contracts.receivables import (
    CustomerChanged,
    CustomersChanged,
    CustomerSnapshot,
    InvoiceChanged,
    InvoicesChanged,
    OutcomeRecorded,
    PaymentPlanChanged,
    PromiseBroken,
    TaskChanged,
    WarningSignsChanged,
)
from shared.inbox import Received
from shared.projection import columns_of


async def on_tenant_changed(ctx: dict[str, Any], session: AsyncSession, batch: list[Received[TenantChanged]]) -> None:
    rows = [
        {
            "tenant_id": r.message.tenant_id,
            "name": r.message.name,
            "country": r.message.country.upper(),
            "timezone": r.message.timezone,
            "language": r.message.language,
            "active": r.message.active,
            "sandbox": r.message.sandbox,
            "test_clock": r.message.test_clock,
            "announced_at": r.envelope.occurred_at,
        }
        for r in batch
    ]
    await repository.upsert_tenants(session, rows)


async def on_user_changed(ctx: dict[str, Any], session: AsyncSession, batch: list[Received[UserChanged]]) -> None:
    rows = [
        {
            "tenant_id": r.tenant_id,
            "user_id": r.message.user_id,
            "email": r.message.email,
            "full_name": r.message.full_name,
            "roles": list(r.message.roles),
            "active": r.message.active,
            "announced_at": r.envelope.occurred_at,
        }
        for r in batch
    ]
    await repository.upsert_users(session, rows)


def customer_row(tenant_id: uuid.UUID, m: CustomerSnapshot) -> dict[str, Any]:
    return {
        "tenant_id": tenant_id,
        "id": m.customer_id,
        "revision": m.revision,
        "external_id": m.external_id,
        "name": m.name,
        "collector_id": m.collector_id,
        "deleted": m.deleted,
    }


async def on_customer_changed(
    ctx: dict[str, Any], session: AsyncSession, batch: list[Received[CustomerChanged]]
) -> None:
    await repository.upsert_customers(session, [customer_row(r.tenant_id, r.message) for r in batch])


async def on_customers_changed(
    ctx: dict[str, Any], session: AsyncSession, batch: list[Received[CustomersChanged]]
) -> None:
    """A bulk load's batches: the same upsert as single changes."""
    rows = [customer_row(r.tenant_id, snapshot) for r in batch for snapshot in r.message.customers]
    await repository.upsert_customers(session, rows)


def invoice_rows(batch: list[Received[InvoiceChanged]]) -> list[dict[str, Any]]:
    """The newest snapshot of each invoice, with when its status began as far as this batch tells: the earliest
    event of the run of same-status revisions that ends with the newest."""
    per_invoice: dict[tuple[uuid.UUID, uuid.UUID], list[tuple[int, datetime, InvoiceChanged]]] = defaultdict(list)
    for r in batch:
        per_invoice[(r.tenant_id, r.message.invoice_id)].append((r.message.revision, r.envelope.occurred_at, r.message))
    rows = []
    for (tenant_id, invoice_id), events in per_invoice.items():
        events.sort(key=lambda e: (e[0], e[1]))
        revision, since, m = events[-1]
        for _, at, earlier in reversed(events[:-1]):
            if earlier.status != m.status:
                break
            since = at
        rows.append(
            {
                "tenant_id": tenant_id,
                "id": invoice_id,
                "customer_id": m.customer_id,
                "revision": revision,
                "number": m.number,
                "currency": m.currency.upper(),
                "amount": m.amount,
                "open_amount": m.open_amount,
                "due_date": m.due_date,
                "status": m.status.value,
                "promised_date": m.promised_date,
                "reported_date": m.reported_date,
                "dispute_area_id": m.dispute_area_id,
                "status_since": since,
            }
        )
    return rows


def batch_columns(tenant_id: uuid.UUID, announced_at: datetime, m: InvoicesChanged) -> dict[str, list[Any]]:
    """A bulk load's batch as the projection's columns: each status as if it began with the batch."""
    count = len(m.invoice_id)
    return {
        "tenant_id": [tenant_id] * count,
        "id": m.invoice_id,
        **{f: getattr(m, f) for f in repository.INVOICE_FIELDS if f not in ("currency", "status")},
        "currency": [currency.upper() for currency in m.currency],
        "status": [status.value for status in m.status],
        "status_since": [announced_at] * count,
    }


async def on_invoice_changed(ctx: dict[str, Any], session: AsyncSession, batch: list[Received[InvoiceChanged]]) -> None:
    await repository.upsert_invoice_columns(session, columns_of(invoice_rows(batch), repository.INVOICE_COLUMNS))


async def on_invoices_changed(
    ctx: dict[str, Any], session: AsyncSession, batch: list[Received[InvoicesChanged]]
) -> None:
    """A bulk load's batches: the same upsert as single changes, one statement per batch (in order: a later batch
    may carry the same invoices at a later revision)."""
    for r in batch:
        await repository.upsert_invoice_columns(session, batch_columns(r.tenant_id, r.envelope.occurred_at, r.message))


async def on_promise_broken(ctx: dict[str, Any], session: AsyncSession, batch: list[Received[PromiseBroken]]) -> None:
    rows = {
        (r.tenant_id, r.message.promise_id): {
            "tenant_id": r.tenant_id,
            "promise_id": r.message.promise_id,
            "invoice_id": r.message.invoice_id,
            "customer_id": r.message.customer_id,
            "collector_id": r.message.collector_id,
            "promised_date": r.message.promised_date,
            "broken_on": r.message.broken_on,
            "currency": r.message.currency.upper(),
            "open_amount": r.message.open_amount,
        }
        for r in batch
    }
    await repository.insert_broken_promises(session, list(rows.values()))


async def on_payment_plan_changed(
    ctx: dict[str, Any], session: AsyncSession, batch: list[Received[PaymentPlanChanged]]
) -> None:
    """A plan's latest state by revision (issue 19): a broken one is listed by the ``plans_broken`` alarm."""
    rows = [
        {
            "tenant_id": r.tenant_id,
            "plan_id": m.plan_id,
            "revision": m.revision,
            "customer_id": m.customer_id,
            "collector_id": m.collector_id,
            "status": m.status.value,
            "currency": m.currency.upper(),
            "principal": m.principal,
            "paid_amount": m.paid_amount,
            "installments": len(m.installments),
            "unpaid_installments": sum(1 for i in m.installments if i.status != "paid"),
            "broken_on": m.broken_on,
            "reason": m.reason,
        }
        for r in batch
        for m in (r.message,)
    ]
    await repository.upsert_payment_plans(session, rows)


async def on_action_item_changed(
    ctx: dict[str, Any], session: AsyncSession, batch: list[Received[ActionItemChanged]]
) -> None:
    rows = [
        {
            "tenant_id": r.tenant_id,
            "id": r.message.action_item_id,
            "customer_id": r.message.customer_id,
            "invoice_ids": list(r.message.invoice_ids),
            "action": r.message.action,
            "status": r.message.status,
            "assignee_id": r.message.assignee_id,
            "created_on": r.message.created_on,
            "changed_at": r.envelope.occurred_at,
            "notice_state": r.message.notice_state,
        }
        for r in batch
    ]
    await repository.upsert_action_items(session, rows)


async def on_task_changed(ctx: dict[str, Any], session: AsyncSession, batch: list[Received[TaskChanged]]) -> None:
    """Receivables emits a task's whole state on each create, update and completion (also the tasks its
    ``CreateTask`` handler makes): the tasks-overdue alarm reads this projection, not receivables' API."""
    rows = [
        {
            "tenant_id": r.tenant_id,
            "id": r.message.task_id,
            "revision": r.message.revision,
            "customer_id": r.message.customer_id,
            "title": r.message.title[:300],
            "assignee_id": r.message.assignee_id,
            "due_date": r.message.due_date,
            "status": r.message.status,
        }
        for r in batch
    ]
    await repository.upsert_tasks(session, rows)


def contact_user(m: OutcomeRecorded) -> uuid.UUID | None:
    """Who made the contact: the user who recorded it; recorded by a key or a service, the customer's collector."""
    kind, _, value = m.recorded_by.partition(":")
    if kind == "user":
        try:
            return uuid.UUID(value)
        except ValueError:
            return m.collector_id
    return m.collector_id


async def on_outcome_recorded(
    ctx: dict[str, Any], session: AsyncSession, batch: list[Received[OutcomeRecorded]]
) -> None:
    """A contact and who made it, for the contact-rate alarm: a fact, written once."""
    rows = {
        (r.tenant_id, r.message.outcome_id): {
            "tenant_id": r.tenant_id,
            "id": r.message.outcome_id,
            "user_id": contact_user(r.message),
            "customer_id": r.message.customer_id,
            "kind": r.message.kind,
            "contacted_at": r.message.occurred_at or r.message.recorded_at,
        }
        for r in batch
    }
    await repository.insert_contacts(session, list(rows.values()))


async def on_warning_signs_changed(
    ctx: dict[str, Any], session: AsyncSession, batch: list[Received[WarningSignsChanged]]
) -> None:
    """Each customer's whole state of warning signs (an empty list: none any more), for the weekly digest."""
    rows = [
        {
            "tenant_id": r.tenant_id,
            "customer_id": c.customer_id,
            "collector_id": c.collector_id,
            "risk_level": c.computed_risk_level,
            "risk_reasons": list(c.computed_risk_reasons),
            "signs": [s.model_dump(mode="json") for s in c.signs],
            "day": r.message.day,
            "announced_at": r.envelope.occurred_at,
        }
        for r in batch
        for c in r.message.customers
    ]
    await repository.upsert_customer_signs(session, rows)
