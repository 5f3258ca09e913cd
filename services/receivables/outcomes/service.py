"""Recording a contact outcome: one transaction does everything the outcome means (``rules.plan_outcome``)."""

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.customers import repository as customers
from services.receivables.customers.rules import usable_address, why_unusable
from services.receivables.invoices import repository as invoices
from services.receivables.invoices.repository import InvoiceRow
from services.receivables.invoices.rules import FieldInvalid, TransitionRefused
from services.receivables.invoices.service import apply_status_changes, require_area
from services.receivables.models import Customer, DisputeArea, outbox
from services.receivables.notes.rules import parse_hashtags
from services.receivables.notes.service import insert_note
from services.receivables.outcomes import repository as outcome_rows
from services.receivables.outcomes.rules import (
    InvoiceRefused,
    OutcomeInput,
    OutcomeKind,
    OutcomePlan,
    claimed_totals,
    plan_outcome,
)
from services.receivables.outcomes.schemas import OutcomeCreate, OutcomeOut
from services.receivables.payments.repository import unapplied_credits
from services.receivables.people.repository import require_user
from services.receivables.statements.lines import invoice_line, oldest_days_overdue
from services.receivables.tasks.repository import TaskRow
from services.receivables.tasks.service import close_answered_task, insert_task
from services.receivables.tenant_settings.repository import TenantProfile, load_profile
from services.receivables.timeline.repository import add_entries
from services.receivables.timeline.rules import check_not_before_issue, occurred_at
from shared.clock import wall_now
from shared.contracts.common import Channel, InvoiceKind, MoneyAmount
from shared.contracts.messaging import Communication, CommunicationKind, CustomerInfo, SendCommunications
from shared.contracts.receivables import OutcomeRecorded
from shared.identity import Identity
from shared.outbox import emit_many
from shared.problems import Conflict, NotFound, ValidationProblem
from shared.tenant_users import TenantUsers

_STEP = timedelta(microseconds=1)  # entries written for one outcome, at its moment, keep their order
SUMMARY = {
    OutcomeKind.PROMISE_TO_PAY: "Promise to pay by {promised}",
    OutcomeKind.NO_COMMITMENT: "Contacted, no commitment to pay",
    OutcomeKind.PAYMENT_REPORTED: "Customer says it paid on {reported}",
    OutcomeKind.DISPUTE: "Dispute",
    OutcomeKind.UNREACHABLE: "Could not reach the customer",
}


async def _invoices_covered(
    session: AsyncSession, tenant_id: uuid.UUID, customer_id: uuid.UUID, invoice_ids: list[uuid.UUID], day: date
) -> list[InvoiceRow]:
    """The invoices named (locked; a foreign id is a 404; one issued after the contact's ``day`` a 422), or all
    the customer's open invoices that existed on ``day``."""
    if not invoice_ids:
        rows = await invoices.lock_open_invoices(session, tenant_id, customer_id)
        return [r for r in rows if r.issue_date <= day]
    rows = await invoices.lock_invoices(session, tenant_id, list(dict.fromkeys(invoice_ids)))
    found = {r.id: r for r in rows}
    for position, invoice_id in enumerate(invoice_ids):
        row = found.get(invoice_id)
        if row is None:
            raise NotFound("Invoice not found", field=f"invoice_ids[{position}]")
        if row.customer_id != customer_id:
            raise ValidationProblem.field(f"invoice_ids[{position}]", "is an invoice of another customer")
        if row.kind == InvoiceKind.CREDIT_NOTE:
            raise ValidationProblem.field(f"invoice_ids[{position}]", "is a credit note: nothing to collect")
    covered = [found[i] for i in dict.fromkeys(invoice_ids)]
    try:
        check_not_before_issue(day, ((r.issue_date, r.number) for r in covered))
    except FieldInvalid as exc:
        raise ValidationProblem.field(exc.field, exc.message) from None
    return covered


@dataclass(frozen=True, slots=True)
class RecordedOutcome:
    """The outcome stored, with what it did: the follow-up task and the dispute area it names."""

    outcome: OutcomeOut
    task: TaskRow | None
    area: DisputeArea | None


async def record_outcome(
    session: AsyncSession, identity: Identity, data: OutcomeCreate, gateway: TenantUsers
) -> RecordedOutcome:
    tenant_id = identity.tenant_id
    profile = await load_profile(session, tenant_id)
    try:
        at = occurred_at(data.occurred_at, profile.clock.now())
    except FieldInvalid as exc:
        raise ValidationProblem.field(exc.field, exc.message) from None
    day = profile.today(at)  # the contact's date: the promise's horizon, the follow-up's due date
    assert data.customer_id is not None  # resolved() set it from the id or the ERP's id (or answered 422)
    customer = await customers.get_for_update(session, tenant_id, data.customer_id)
    if customer is None:
        raise NotFound("Customer not found")
    rows = await _invoices_covered(session, tenant_id, customer.id, data.invoice_ids, day)
    language = customer.language or profile.language or "es"
    try:
        plan = plan_outcome(
            OutcomeInput(
                kind=data.kind,
                note=data.note,
                promised_date=data.promised_date,
                reported_date=data.reported_date,
                reported_reference=data.reported_reference,
                dispute_area_id=data.dispute_area_id,
                follow_up_days=data.follow_up_days,
                named_invoices=bool(data.invoice_ids),
            ),
            {r.id: r.status for r in rows},
            today=day,
            country=profile.country,
            default_follow_up_days=profile.follow_up_days,
            language=language,
        )
    except FieldInvalid as exc:
        raise ValidationProblem.field(exc.field, exc.message) from None
    except InvoiceRefused as exc:
        refused = next(r for r in rows if r.id == exc.invoice_id)
        raise Conflict(
            f"Invoice {refused.number}: {exc}",
            field=f"invoice_ids[{data.invoice_ids.index(exc.invoice_id)}]",
            invoice_id=str(exc.invoice_id),
            number=refused.number,
            current_status=refused.status,
        ) from None
    except TransitionRefused as exc:
        raise Conflict(str(exc)) from None
    rows = [r for r in rows if r.id in set(plan.covered)]  # what the outcome may act on (issue 12 point 4)
    area = None
    if data.dispute_area_id is not None:
        area = await require_area(session, tenant_id, data.dispute_area_id, "dispute_area_id")
    if data.task_assignee_id is not None:
        await require_user(session, tenant_id, data.task_assignee_id, "task_assignee_id", gateway=gateway)

    outcome_id = uuid.uuid4()
    actor = identity.actor
    note = None
    if data.note and data.note.strip():
        note = await insert_note(
            session,
            tenant_id,
            customer_id=customer.id,
            body=data.note,
            invoice_ids=[r.id for r in rows],
            identity=identity,
            outcome_id=outcome_id,
            at=at,
        )
    if data.closes_task_id is not None:  # the contact answers a task (a call step's): it is done
        await close_answered_task(session, tenant_id, data.closes_task_id, customer.id, actor, at)
    task = None
    if plan.task is not None:
        task = await insert_task(
            session,
            tenant_id,
            {
                "customer_id": customer.id,
                "title": plan.task.title,
                "description": data.note,
                "assignee_id": data.task_assignee_id or customer.collector_id or identity.user_id,
                "due_date": plan.task.due_date,
                "source": "outcome",
                "outcome_id": outcome_id,
                "occurred_at": at,
            },
            actor,
        )
    await apply_status_changes(
        session,
        profile,
        rows,
        plan.status_changes,
        actor=actor,
        reason=f"outcome: {data.kind.value}",
        outcome_id=outcome_id,
        at=at,
        history_at=at + _STEP,  # after the task, before the outcome itself: the timeline reads in that order
    )
    messages, message_key, skipped = await _unreachable_email(
        session, profile, customer, data.kind, rows, plan, outcome_id, language
    )
    values = {
        "id": outcome_id,
        "tenant_id": tenant_id,
        "customer_id": customer.id,
        "kind": data.kind.value,
        "channel": data.channel.value,
        "spoke_with": data.spoke_with,
        "excuse": data.excuse.value if data.excuse else None,
        "note": data.note,
        "hashtags": parse_hashtags(data.note),
        "invoice_ids": [r.id for r in rows],
        "promised_date": data.promised_date,
        "reported_date": plan.reported_date,
        "reported_reference": data.reported_reference,
        "dispute_area_id": data.dispute_area_id,
        "task_id": task.id if task else None,
        "note_id": note.id if note else None,
        "message_key": message_key,
        "message_skipped": skipped,
        "collector_id": customer.collector_id,
        "recorded_by": actor,
        "recorded_by_user_id": identity.user_id,
        "recorded_at": wall_now(),
        "occurred_at": at,
    }
    row = await outcome_rows.insert_outcome(session, values)
    later = at + _STEP * (len(plan.status_changes) + 1)
    await add_entries(session, tenant_id, [_timeline_entry(row, rows, area, skipped)], at=later)
    event = OutcomeRecorded(
        outcome_id=outcome_id,
        customer_id=customer.id,
        kind=row.kind.value,
        channel=row.channel.value,
        spoke_with=row.spoke_with,
        excuse=row.excuse.value if row.excuse else None,
        note=row.note,
        hashtags=row.hashtags,
        invoice_ids=row.invoice_ids,
        collector_id=row.collector_id,
        recorded_by=actor,
        recorded_at=row.recorded_at,
        occurred_at=row.occurred_at,
        promised_date=row.promised_date,
    )
    await emit_many(session, outbox, tenant_id, [event, *messages])
    return RecordedOutcome(row, task, area)


def _timeline_entry(
    row: OutcomeOut, invoice_rows: list[InvoiceRow], area: DisputeArea | None, skipped: str | None
) -> dict[str, Any]:
    summary = SUMMARY[row.kind].format(promised=row.promised_date, reported=row.reported_date)
    if area is not None:
        summary += f" ({area.name})"
    if invoice_rows:
        summary += f" - {len(invoice_rows)} invoice(s)"
    return {
        "customer_id": row.customer_id,
        "kind": "outcome",
        "ref_id": row.id,
        "summary": summary,
        "data": {
            "kind": row.kind.value,
            "channel": row.channel.value,
            "spoke_with": row.spoke_with,
            "excuse": row.excuse.value if row.excuse else None,
            "note": row.note,
            "hashtags": row.hashtags,
            "invoices": [{"invoice_id": r.id, "number": r.number} for r in invoice_rows],
            "promised_date": row.promised_date,
            "reported_date": row.reported_date,
            "dispute_area": area.name if area is not None else None,
            "task_id": row.task_id,
            "message_requested": row.message_requested,
            "message_skipped": skipped,
        },
        "actor": row.recorded_by,
    }


async def _unreachable_email(
    session: AsyncSession,
    profile: TenantProfile,
    customer: Customer,
    kind: OutcomeKind,
    rows: list[InvoiceRow],
    plan: OutcomePlan,
    outcome_id: uuid.UUID,
    language: str,
) -> tuple[list[SendCommunications], str | None, str | None]:
    """Seed 000: when the customer could not be reached, email it the invoices being claimed. The message
    carries everything its template needs (invoices, totals, advisor, supervisor, collector)."""
    if kind != OutcomeKind.UNREACHABLE:
        return [], None, None
    if not plan.email_invoices:
        return [], None, "the customer has no invoices being claimed (none open, or all paused)"
    address = usable_address(customer.contacts, customer.opted_out_channels, Channel.EMAIL)
    if address is None:
        return [], None, why_unusable(customer.contacts, customer.opted_out_channels, Channel.EMAIL)
    today = profile.today()
    # What is really claimed (issue 12 point 4): the demanded invoices, overdue first then not yet due (by due
    # date), not the paused or disputed ones; totals net of the customer's unapplied credit.
    claimed = set(plan.claimed)
    lines = [
        invoice_line(r, today)
        for r in sorted(rows, key=lambda r: (r.due_date, r.number, str(r.id)))
        if r.id in claimed and r.open_amount > 0
    ]
    credits = await unapplied_credits(session, profile.tenant_id, customer.id)
    overdue, owed = claimed_totals(((x.currency, x.open_amount, x.days_overdue) for x in lines), credits)
    people = await customers.people_of_customer(session, profile.tenant_id, customer.id)
    key = f"receivables:outcome:{outcome_id}"
    communication = Communication(
        idempotency_key=key,
        kind=CommunicationKind.UNREACHABLE,
        channel=Channel.EMAIL,
        to=address,
        language=language,
        customer=CustomerInfo(
            customer_id=customer.id,
            external_id=customer.external_id,
            name=customer.name,
            tax_id=customer.tax_id,
            country=customer.country,
            timezone=customer.timezone,
            language=customer.language,
        ),
        recipient_name=customer.name,
        invoices=lines,
        totals=[MoneyAmount(currency=c, amount=a) for c, a in overdue.items()],
        open_totals=[MoneyAmount(currency=c, amount=a) for c, a in owed.items()],
        credits=[MoneyAmount(currency=c, amount=a) for c, a in credits.items()],
        overdue_count=sum(1 for x in lines if x.days_overdue > 0),
        oldest_days_overdue=oldest_days_overdue(lines),
        collector=people.collector,
        advisor=people.advisor,
        supervisor=people.supervisor,
        source="receivables",
        source_ref=str(outcome_id),
    )
    return [SendCommunications(communications=[communication])], key, None
