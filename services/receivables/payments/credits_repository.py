"""The SQL of the credits applied (``credits.py``): who holds credit, the active applications to undo, the
payments and invoices locked (always in id order, payments before invoices, as the payments engine locks them),
and the writes of new applications. Statements are raw text: they lean on the partial indexes of the credit
tables and on ``FOR UPDATE`` in a fixed order."""

import uuid
from collections.abc import Collection
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.invoices.repository import InvoiceRow
from shared.db import row_as

OPEN = "('normal', 'promise_to_pay', 'payment_reported', 'dispute')"


@dataclass(frozen=True, slots=True)
class ActiveApplication:
    """An application of a credit note not yet reversed, and why it is being undone."""

    id: uuid.UUID
    credit_id: uuid.UUID
    invoice_id: uuid.UUID
    amount: Decimal
    credit_changed: bool  # its credit note was written anew or voided
    invoice_gone: bool  # its invoice was voided, written off or its open amount rewritten


@dataclass(frozen=True, slots=True)
class CreditPayment:
    """An applied payment with an unapplied amount (over-payment)."""

    id: uuid.UUID
    customer_id: uuid.UUID
    currency: str
    unapplied_amount: Decimal
    payment_date: date
    named_invoices: bool


@dataclass(frozen=True, slots=True)
class NewCreditApplication:
    """Part of a credit note applied to an invoice."""

    credit_id: uuid.UUID
    invoice_id: uuid.UUID
    amount: Decimal
    applied_on: date


@dataclass(frozen=True, slots=True)
class NewAllocation:
    """Part of an over-payment applied to an invoice: an allocation of its payment."""

    payment_id: uuid.UUID
    invoice_id: uuid.UUID
    amount: Decimal
    payment_date: date


def _scope(column: str, customers: Collection[uuid.UUID] | None) -> str:
    """SQL condition on ``column``: among ``:customers``, or every customer of the tenant (None)."""
    return "TRUE" if customers is None else f"{column} = ANY(:customers)"


async def customers_with_credit(
    session: AsyncSession, tenant_id: uuid.UUID, scope: list[uuid.UUID] | None
) -> set[uuid.UUID]:
    """The customers (among ``scope``, None: all) with an open credit note or an over-payment."""
    result = await session.execute(
        text(
            "SELECT customer_id FROM receivables.invoices WHERE tenant_id = :tenant_id AND kind = 'credit_note' "
            f"AND open_amount > 0 AND status IN {OPEN} AND {_scope('customer_id', scope)} "
            "UNION SELECT customer_id FROM receivables.payments WHERE tenant_id = :tenant_id AND status = 'applied' "
            f"AND unapplied_amount > 0 AND {_scope('customer_id', scope)}"
        ),
        {"tenant_id": tenant_id, "customers": scope},
    )
    return set(result.scalars())


async def lock_active_applications(
    session: AsyncSession, tenant_id: uuid.UUID, changed: list[uuid.UUID], rewritten: list[uuid.UUID]
) -> list[ActiveApplication]:
    """The active applications of the ``changed`` credit notes or to the ``rewritten`` invoices, locked in id
    order (found by the two partial indexes of the active applications)."""
    result = await session.execute(
        text(
            "SELECT a.id, a.credit_id, a.invoice_id, a.amount, a.credit_id = ANY(:changed) AS credit_changed, "
            "a.invoice_id = ANY(:rewritten) AS invoice_gone FROM receivables.credit_applications a "
            "WHERE a.tenant_id = :tenant_id AND a.reversed_at IS NULL "
            "AND (a.credit_id = ANY(:changed) OR a.invoice_id = ANY(:rewritten)) ORDER BY a.id FOR UPDATE"
        ),
        {"tenant_id": tenant_id, "changed": changed, "rewritten": rewritten},
    )
    return [row_as(ActiveApplication, row) for row in result.mappings()]


async def reverse_applications(session: AsyncSession, ids: list[uuid.UUID]) -> None:
    await session.execute(
        text("UPDATE receivables.credit_applications SET reversed_at = now() WHERE id = ANY(:ids)"),
        {"ids": ids},
    )


async def customers_of_invoices(session: AsyncSession, tenant_id: uuid.UUID, ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """The customers of these invoices or credit notes."""
    result = await session.execute(
        text("SELECT DISTINCT customer_id FROM receivables.invoices WHERE tenant_id = :tenant_id AND id = ANY(:ids)"),
        {"tenant_id": tenant_id, "ids": ids},
    )
    return set(result.scalars())


async def lock_credit_payments(
    session: AsyncSession, tenant_id: uuid.UUID, holders: list[uuid.UUID]
) -> list[CreditPayment]:
    """The ``holders``' applied payments with an unapplied amount, locked in id order."""
    result = await session.execute(
        text(
            "SELECT id, customer_id, currency, unapplied_amount, payment_date, named_invoices "
            "FROM receivables.payments WHERE tenant_id = :tenant_id AND status = 'applied' "
            "AND unapplied_amount > 0 AND customer_id = ANY(:holders) ORDER BY id FOR UPDATE"
        ),
        {"tenant_id": tenant_id, "holders": holders},
    )
    return [row_as(CreditPayment, row) for row in result.mappings()]


async def _lock(
    session: AsyncSession, tenant_id: uuid.UUID, where: str, params: dict[str, Any]
) -> dict[uuid.UUID, InvoiceRow]:
    """The tenant's invoices that match ``where``, locked in id order, by id."""
    result = await session.execute(
        text(f"SELECT * FROM receivables.invoices WHERE tenant_id = :tenant_id AND {where} ORDER BY id FOR UPDATE"),
        {"tenant_id": tenant_id, **params},
    )
    return {row["id"]: InvoiceRow(**row) for row in result.mappings()}


async def lock_invoices(
    session: AsyncSession, tenant_id: uuid.UUID, ids: list[uuid.UUID]
) -> dict[uuid.UUID, InvoiceRow]:
    """These invoices (and credit notes), locked in id order, by id."""
    return await _lock(session, tenant_id, "id = ANY(:ids)", {"ids": ids})


async def lock_open_invoices(
    session: AsyncSession, tenant_id: uuid.UUID, holders: list[uuid.UUID]
) -> dict[uuid.UUID, InvoiceRow]:
    """The ``holders``' open invoices and credit notes with an open amount, locked in id order, by id."""
    return await _lock(
        session,
        tenant_id,
        f"customer_id = ANY(:holders) AND status IN {OPEN} AND open_amount > 0",
        {"holders": holders},
    )


async def insert_credit_applications(
    session: AsyncSession, tenant_id: uuid.UUID, notes: list[NewCreditApplication]
) -> None:
    await session.execute(
        text(
            "INSERT INTO receivables.credit_applications (tenant_id, credit_id, invoice_id, amount, applied_on) "
            "VALUES (:tenant_id, :credit_id, :invoice_id, :amount, :applied_on)"
        ),
        [{"tenant_id": tenant_id, **asdict(n)} for n in notes],
    )


async def insert_allocations(session: AsyncSession, tenant_id: uuid.UUID, allocations: list[NewAllocation]) -> None:
    await session.execute(
        text(
            "INSERT INTO receivables.payment_allocations (tenant_id, payment_id, invoice_id, amount, payment_date) "
            "VALUES (:tenant_id, :payment_id, :invoice_id, :amount, :payment_date)"
        ),
        [{"tenant_id": tenant_id, **asdict(a)} for a in allocations],
    )


async def consume_unapplied(session: AsyncSession, tenant_id: uuid.UUID, used: dict[uuid.UUID, Decimal]) -> None:
    """Take what was applied off each payment's unapplied amount (one statement for all)."""
    await session.execute(
        text(
            "UPDATE receivables.payments p SET unapplied_amount = p.unapplied_amount - u.used, "
            "revision = p.revision + 1, updated_at = now() "
            "FROM unnest(CAST(:ids AS uuid[]), CAST(:used AS numeric[])) AS u(id, used) "
            "WHERE p.tenant_id = :tenant_id AND p.id = u.id"
        ),
        {"tenant_id": tenant_id, "ids": list(used), "used": list(used.values())},
    )
