"""Bulk payments: the customers resolved in one query, then the payment engine (``payments/service.py``) applies
the whole batch with a fixed number of statements. A payment already stored with the same content is unchanged;
a newer version is re-applied (its old allocations undone first); ``reversed: true`` reverses it."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.ingest.invoices import Counts
from services.receivables.ingest.schemas import PaymentRow, RejectedRow
from services.receivables.models import Customer
from services.receivables.payments.batch import NamedRef, PaymentInput
from services.receivables.payments.service import apply_payments
from services.receivables.tenant_settings.repository import TenantProfile

customers = Customer.__table__


async def upsert_payments(
    session: AsyncSession, profile: TenantProfile, rows: list[tuple[int, PaymentRow]], actor: str
) -> tuple[Counts, list[RejectedRow]]:
    if not rows:
        return Counts(), []
    wanted = {r.customer_external_id for _, r in rows}
    found = {
        row.external_id: row.id
        for row in await session.execute(
            select(customers.c.id, customers.c.external_id).where(
                customers.c.tenant_id == profile.tenant_id,
                customers.c.external_id.in_(wanted),
                customers.c.deleted.is_(False),
            )
        )
    }
    rejected: list[RejectedRow] = []
    inputs: list[PaymentInput] = []
    by_index = {}
    for index, row in rows:
        customer_id = found.get(row.customer_external_id)
        if customer_id is None:
            rejected.append(
                RejectedRow(
                    index=index,
                    external_id=row.external_id,
                    field="customer_external_id",
                    reason=f"no customer with external id {row.customer_external_id!r}",
                )
            )
            continue
        by_index[index] = row
        inputs.append(
            PaymentInput(
                index=index,
                customer_id=customer_id,
                currency=row.currency,
                amount=row.amount,
                payment_date=row.payment_date,
                external_id=row.external_id,
                reference=row.reference,
                named=[NamedRef(i.invoice_id, i.invoice_external_id, i.amount) for i in row.invoices or []] or None,
                version=row.version,
                reverse=row.reversed,
                reversal_reason=row.reversal_reason,
            )
        )
    counts = Counts()
    for result in await apply_payments(session, profile, inputs, actor):
        if result.outcome == "created":
            counts.created += 1
        elif result.outcome in ("updated", "reversed"):
            counts.updated += 1
        elif result.outcome == "unchanged":
            counts.unchanged += 1
        else:
            rejected.append(
                RejectedRow(
                    index=result.index,
                    external_id=by_index[result.index].external_id,
                    field=result.field or "row",
                    reason=result.reason or "rejected",
                )
            )
    return counts, sorted(rejected, key=lambda r: r.index)
