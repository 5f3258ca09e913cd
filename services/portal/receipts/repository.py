"""The receipts debtors uploaded (``portal.receipts``): one row per file, linked to its action."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.portal.models import Receipt
from shared.db import row_as

_receipts = Receipt.__table__


@dataclass(frozen=True, slots=True)
class ReceiptRow:
    id: uuid.UUID
    action_id: uuid.UUID
    customer_id: uuid.UUID
    storage_key: str
    content_type: str
    size: int
    sha256: str
    filename: str | None
    paid_on: date | None
    created_at: datetime


_COLUMNS = [_receipts.c[name] for name in ReceiptRow.__dataclass_fields__]


async def insert_receipt(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    receipt_id: uuid.UUID,
    *,
    action_id: uuid.UUID,
    customer_id: uuid.UUID,
    storage_key: str,
    content_type: str,
    size: int,
    sha256: str,
    filename: str | None,
    paid_on: date | None,
) -> None:
    await session.execute(
        insert(_receipts).values(
            tenant_id=tenant_id,
            id=receipt_id,
            action_id=action_id,
            customer_id=customer_id,
            storage_key=storage_key,
            content_type=content_type,
            size=size,
            sha256=sha256,
            filename=filename,
            paid_on=paid_on,
        )
    )


async def get_receipt(session: AsyncSession, tenant_id: uuid.UUID, receipt_id: uuid.UUID) -> ReceiptRow | None:
    statement = select(*_COLUMNS).where(_receipts.c.tenant_id == tenant_id, _receipts.c.id == receipt_id)
    row = (await session.execute(statement)).mappings().first()
    return row_as(ReceiptRow, row) if row is not None else None
