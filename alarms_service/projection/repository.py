"""The projection's writes: each a set-based statement for a whole batch of rows (built by ``handlers``); and the
few reads of its users and tenants that are not the digests' selection (recipients, admins, a tenant's language).

An older event never overwrites a newer state: customers and invoices are ordered by their ``revision``; tenants,
users and action items by the event's time. A broken promise is a fact, written once."""

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import any_, literal, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from alarms_service.models import (
    ActionItem,
    BrokenPromise,
    Contact,
    Customer,
    CustomerSigns,
    Invoice,
    PaymentPlan,
    Task,
    Tenant,
    User,
)
from shared.identity import ADMIN
from shared.projection import unnest_source, upsert_newest

CUSTOMER_FIELDS = ("revision", "external_id", "name", "collector_id", "deleted")
INVOICE_FIELDS = (
    "customer_id",
    "revision",
    "number",
    "currency",
    "amount",
    "open_amount",
    "due_date",
    "status",
    "promised_date",
    "reported_date",
    "dispute_area_id",
)
INVOICE_COLUMNS = ("tenant_id", "id", *INVOICE_FIELDS, "status_since")
TENANT_FIELDS = ("name", "country", "timezone", "language", "active", "sandbox", "test_clock", "announced_at")
USER_FIELDS = ("email", "full_name", "roles", "active", "announced_at")
ACTION_ITEM_FIELDS = (
    "customer_id",
    "invoice_ids",
    "action",
    "status",
    "assignee_id",
    "created_on",
    "changed_at",
    "notice_state",
)


async def upsert_tenants(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    await upsert_newest(session, Tenant.__table__, rows, ("tenant_id",), "announced_at", TENANT_FIELDS)


async def upsert_users(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    await upsert_newest(session, User.__table__, rows, ("tenant_id", "user_id"), "announced_at", USER_FIELDS)


async def upsert_customers(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    await upsert_newest(session, Customer.__table__, rows, ("tenant_id", "id"), "revision", CUSTOMER_FIELDS)


async def upsert_invoice_columns(session: AsyncSession, columns: dict[str, list[Any]]) -> None:
    """One statement for any number of invoices (a bulk load's batch of 10,000 as well as one), each at most once:
    an older revision than the stored one changes nothing; a status kept keeps its start."""
    if not columns["id"]:
        return
    source, params = unnest_source(Invoice.__table__, columns)
    await session.execute(
        text(
            f"INSERT INTO alarms.invoices ({', '.join(columns)}) {source} "
            "ON CONFLICT (tenant_id, id) DO UPDATE SET "
            f"{', '.join(f'{f} = excluded.{f}' for f in INVOICE_FIELDS)}, "
            "status_since = CASE WHEN alarms.invoices.status = excluded.status THEN alarms.invoices.status_since "
            "ELSE excluded.status_since END "
            "WHERE alarms.invoices.revision <= excluded.revision"
        ),
        params,
    )


async def insert_broken_promises(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(BrokenPromise.__table__).values(rows).on_conflict_do_nothing())


PLAN_FIELDS = (
    "customer_id",
    "collector_id",
    "status",
    "currency",
    "principal",
    "paid_amount",
    "installments",
    "unpaid_installments",
    "broken_on",
    "reason",
)


async def upsert_payment_plans(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    await upsert_newest(session, PaymentPlan.__table__, rows, ("tenant_id", "plan_id"), "revision", PLAN_FIELDS)


async def upsert_action_items(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    await upsert_newest(session, ActionItem.__table__, rows, ("tenant_id", "id"), "changed_at", ACTION_ITEM_FIELDS)


TASK_FIELDS = ("revision", "customer_id", "title", "assignee_id", "due_date", "status")
SIGNS_FIELDS = ("collector_id", "risk_level", "risk_reasons", "signs", "day")


async def upsert_tasks(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    await upsert_newest(session, Task.__table__, rows, ("tenant_id", "id"), "revision", TASK_FIELDS)


async def insert_contacts(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(Contact.__table__).on_conflict_do_nothing(), rows)


async def upsert_customer_signs(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """A refresh announced later wins (the daily refresh and one after a payment may share a day)."""
    await upsert_newest(
        session, CustomerSigns.__table__, rows, ("tenant_id", "customer_id"), "announced_at", SIGNS_FIELDS
    )


@dataclass(frozen=True, slots=True)
class UserRow:
    """A user of the tenant as the gateway announced it."""

    user_id: uuid.UUID
    full_name: str
    email: str
    active: bool


@dataclass(frozen=True, slots=True)
class Admin:
    """An active admin of the tenant: whom an alert is written to."""

    user_id: uuid.UUID
    email: str
    full_name: str


async def tenant_users(session: AsyncSession, tenant_id: uuid.UUID) -> list[UserRow]:
    """Every user of the tenant, active or not (a digest to an inactive one says so)."""
    query = select(User.user_id, User.full_name, User.email, User.active).where(User.tenant_id == tenant_id)
    return [UserRow(**row) for row in (await session.execute(query)).mappings()]


async def active_admins(session: AsyncSession, tenant_id: uuid.UUID) -> list[Admin]:
    """The tenant's active admins, by email."""
    query = (
        select(User.user_id, User.email, User.full_name)
        .where(User.tenant_id == tenant_id, User.active, literal(ADMIN) == any_(User.roles))
        .order_by(User.email)
    )
    return [Admin(**row) for row in (await session.execute(query)).mappings()]


async def tenant_language(session: AsyncSession, tenant_id: uuid.UUID) -> str | None:
    """The tenant's language as announced (None: not announced yet)."""
    language: str | None = await session.scalar(select(Tenant.language).where(Tenant.tenant_id == tenant_id))
    return language
