"""Notes: the written history of the relationship (seed 004: who, why, what next, #hashtags)."""

import uuid
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.customers.repository import load_customer
from services.receivables.invoices import repository as invoices_repository
from services.receivables.invoices.rules import FieldInvalid
from services.receivables.notes import repository
from services.receivables.notes.rules import parse_hashtags
from services.receivables.notes.schemas import NoteCreate, NoteOut
from services.receivables.tenant_settings.repository import load_profile
from services.receivables.timeline.repository import add_entries
from services.receivables.timeline.rules import check_not_before_issue, occurred_at
from shared.identity import Identity
from shared.problems import ValidationProblem


async def check_invoices_of_customer(
    session: AsyncSession, tenant_id: uuid.UUID, customer_id: uuid.UUID, invoice_ids: list[uuid.UUID], field: str
) -> list[tuple[date, str]]:
    """The invoices' (issue date, number); 422 naming the position of one that is not the customer's."""
    if not invoice_ids:
        return []
    found = await invoices_repository.issue_dates_and_numbers(session, tenant_id, customer_id, invoice_ids)
    for position, invoice_id in enumerate(invoice_ids):
        if invoice_id not in found:
            raise ValidationProblem.field(f"{field}[{position}]", "is not an invoice of this customer")
    return list(found.values())


async def insert_note(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    customer_id: uuid.UUID,
    body: str,
    invoice_ids: list[uuid.UUID],
    identity: Identity,
    outcome_id: uuid.UUID | None = None,
    spoken_with: str | None = None,
    reason: str | None = None,
    agreed: str | None = None,
    at: datetime | None = None,
) -> NoteOut:
    """Store a note with its hashtags and seed 004's answers (who, why, what was agreed), as of ``at`` (when it
    happened; default now on the tenant's clock); a note of an outcome is shown within the outcome's timeline
    entry."""
    at = at or (await load_profile(session, tenant_id)).clock.now()
    row = await repository.insert_note(
        session,
        {
            "id": uuid.uuid4(),
            "tenant_id": tenant_id,
            "customer_id": customer_id,
            "body": body,
            "spoken_with": spoken_with,
            "reason": reason,
            "agreed": agreed,
            "hashtags": parse_hashtags(body),
            "invoice_ids": invoice_ids,
            "outcome_id": outcome_id,
            "author": identity.actor,
            "author_user_id": identity.user_id,
            "occurred_at": at,
        },
    )
    if outcome_id is None:
        summary = body if len(body) <= 200 else body[:197] + "..."
        await add_entries(
            session,
            tenant_id,
            [
                {
                    "customer_id": customer_id,
                    "kind": "note",
                    "ref_id": row.id,
                    "summary": summary,
                    "data": {
                        "body": body,
                        "spoken_with": spoken_with,
                        "reason": reason,
                        "agreed": agreed,
                        "hashtags": row.hashtags,
                        "invoice_ids": invoice_ids,
                    },
                    "actor": identity.actor,
                }
            ],
            at=at,
        )
    return row


async def create_note(session: AsyncSession, identity: Identity, data: NoteCreate) -> NoteOut:
    tenant_id = identity.tenant_id
    assert data.customer_id is not None  # resolved() set it from the id or the ERP's id (or answered 422)
    if await load_customer(session, tenant_id, data.customer_id) is None:
        raise ValidationProblem.field("customer_id", "is not a customer of this tenant")
    issued = await check_invoices_of_customer(session, tenant_id, data.customer_id, data.invoice_ids, "invoice_ids")
    profile = await load_profile(session, tenant_id)
    try:
        at = occurred_at(data.occurred_at, profile.clock.now())
        check_not_before_issue(profile.today(at), issued)
    except FieldInvalid as exc:
        raise ValidationProblem.field(exc.field, exc.message) from None
    return await insert_note(
        session,
        tenant_id,
        customer_id=data.customer_id,
        body=data.body,
        invoice_ids=data.invoice_ids,
        identity=identity,
        spoken_with=data.spoken_with,
        reason=data.reason.value if data.reason else None,
        agreed=data.agreed,
        at=at,
    )
