"""The checkouts: one row per preference made at the provider, and what its payment became."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.portal.models import Checkout
from shared.db import row_as

_checkouts = Checkout.__table__


@dataclass(frozen=True, slots=True)
class CheckoutRow:
    tenant_id: uuid.UUID
    id: uuid.UUID
    link_id: uuid.UUID
    customer_id: uuid.UUID
    invoice_ids: list[uuid.UUID]
    amount: Decimal
    currency: str
    preference_id: str
    init_point: str
    state: str
    provider_payment_id: str | None
    provider_status: str | None
    payment_id: uuid.UUID | None
    created_at: datetime


_COLUMNS = [_checkouts.c[name] for name in CheckoutRow.__dataclass_fields__]


async def insert_checkout(session: AsyncSession, tenant_id: uuid.UUID, checkout_id: uuid.UUID, **values: Any) -> None:
    await session.execute(insert(_checkouts).values(tenant_id=tenant_id, id=checkout_id, **values))


async def customers_checkout(
    session: AsyncSession, tenant_id: uuid.UUID, customer_id: uuid.UUID, checkout_id: uuid.UUID
) -> CheckoutRow | None:
    """A checkout as its customer's page may show it (another customer's id finds nothing)."""
    statement = select(*_COLUMNS).where(
        _checkouts.c.tenant_id == tenant_id, _checkouts.c.customer_id == customer_id, _checkouts.c.id == checkout_id
    )
    row = (await session.execute(statement)).mappings().first()
    return row_as(CheckoutRow, row) if row is not None else None


async def lock_checkout(session: AsyncSession, checkout_id: uuid.UUID) -> CheckoutRow | None:
    """The checkout a payment names (its external_reference), locked until the transaction ends: notifications of
    one payment, repeated or concurrent, are applied one after the other, each seeing what the last one did. The
    provider knows no tenant: the id alone (a random UUID) finds it."""
    statement = select(*_COLUMNS).where(_checkouts.c.id == checkout_id).with_for_update()
    row = (await session.execute(statement)).mappings().first()
    return row_as(CheckoutRow, row) if row is not None else None


async def set_outcome(session: AsyncSession, row: CheckoutRow, **values: Any) -> None:
    """The checkout's state and the payment it is about (provider's id and status, receivables' payment id)."""
    await session.execute(
        update(_checkouts)
        .where(_checkouts.c.tenant_id == row.tenant_id, _checkouts.c.id == row.id)
        .values(updated_at=func.now(), **values)
    )
