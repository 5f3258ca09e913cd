"""Credits applied (issue 12 point 3): credit notes and over-payments settle the customer's open invoices, so
dunning and messages chase net amounts.

Called after every write that can create, free or consume credit (payments, invoices created or changed by the
API or the ERP, status changes, the tenant switching automatic application on). Two steps, each a fixed number
of statements whatever the number of customers:

1. undo what is no longer valid: the applications of a credit note the ERP changed or that was voided (its
   invoices owe again; the credit note's new open amount is the ERP's word), and those to an invoice voided or
   written off (the credit goes back to its credit note);
2. apply what is unapplied, with the payments' allocation rule (``rules.plan_credits``): the invoices a
   credit names, else oldest first, never across currencies. Over-payments applied later become allocations of
   their payment (a reversed payment undoes them with the rest); credit notes leave ``credit_applications``.
   With the tenant's ``auto_apply_credits`` off, step 2 does nothing: credit stays and is only reported.

The customers whose credit may have moved get a new snapshot (``CustomerChanged.credits``).
"""

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.events import bump_and_emit_customers, emit_invoices_changed
from services.receivables.invoices.repository import InvoiceRow
from services.receivables.invoices.rules import CLOSED, after_payment, after_reversal
from services.receivables.payments import credits_repository as repo
from services.receivables.payments.credits_repository import NewAllocation, NewCreditApplication
from services.receivables.payments.rules import Allocation, Credit, Ledger, Named, OpenItem, plan_credits
from services.receivables.payments.writes import InvoiceState, write_invoices
from services.receivables.tenant_settings.repository import TenantProfile
from services.receivables.timeline.repository import add_entries
from shared.contracts.common import InvoiceKind, InvoiceStatus


async def apply_credits(
    session: AsyncSession,
    profile: TenantProfile,
    customers: Iterable[uuid.UUID] | None,
    actor: str,
    *,
    changed_credit_notes: Iterable[uuid.UUID] = (),
    rewritten_invoices: Iterable[uuid.UUID] = (),
    credit_touched: Iterable[uuid.UUID] = (),
) -> None:
    """Bring the credit of ``customers`` (None: all the tenant's) up to date.

    ``changed_credit_notes``: credit notes written anew (ERP update, void), whose applications are undone first;
    ``rewritten_invoices``: invoices voided, written off or whose open amount the ERP wrote anew (the credit they
    had goes back to its credit note, to be applied again); ``credit_touched``: customers whose credit changed in
    the caller's write (their snapshot is announced)."""
    undone = await _undo(session, profile, sorted(set(changed_credit_notes)), sorted(set(rewritten_invoices)), actor)
    announce = set(credit_touched) | undone
    scope = None if customers is None else sorted(set(customers) | undone)  # what was undone is applied again
    if scope == [] and not announce:
        return
    if profile.auto_apply_credits:
        announce |= await _apply(session, profile, scope, actor)
    else:
        announce |= await repo.customers_with_credit(session, profile.tenant_id, scope)
    if announce:
        await bump_and_emit_customers(session, profile.tenant_id, "c.id = ANY(:ids)", {"ids": sorted(announce)})


async def _undo(
    session: AsyncSession, profile: TenantProfile, changed: list[uuid.UUID], rewritten: list[uuid.UUID], actor: str
) -> set[uuid.UUID]:
    """Step 1; answers the customers whose applications were undone. Found by the two partial indexes of the
    active applications (by credit note, by invoice), whatever the size of the table."""
    if not changed and not rewritten:
        return set()
    tenant_id = profile.tenant_id
    undone = await repo.lock_active_applications(session, tenant_id, changed, rewritten)
    if not undone:
        return set()
    # Who gets the money back: the invoice when its credit note changed, the credit note when the invoice is gone
    # (voided, written off, or its open amount rewritten by the ERP); neither when both changed.
    back: dict[uuid.UUID, Decimal] = defaultdict(Decimal)
    for a in undone:
        if a.credit_changed and not a.invoice_gone:
            back[a.invoice_id] += a.amount
        elif not a.credit_changed:
            back[a.credit_id] += a.amount
    rows = await repo.lock_invoices(session, tenant_id, sorted(back))
    states, ledger = _ledger(rows)
    for invoice_id, amount in back.items():
        if invoice_id not in states:
            continue
        row = rows[invoice_id]
        if states[invoice_id].status in (InvoiceStatus.VOID, InvoiceStatus.WRITTEN_OFF):
            continue
        ledger.adjust(invoice_id, min(amount, row.amount - row.open_amount))  # never above its amount
        state = states[invoice_id]
        state.status = after_reversal(state.status, ledger.items[invoice_id].open_amount)
        if state.status not in CLOSED:
            state.closed_on = None
    await repo.reverse_applications(session, [a.id for a in undone])
    touched = await write_invoices(session, profile, states, ledger, actor, "credit undone")
    entries = [
        {
            "customer_id": rows[i].customer_id,
            "invoice_id": i,
            "kind": "credit_undone",
            "summary": f"Credit of {rows[i].currency} {amount} given back to {rows[i].number}",
            "data": {"amount": amount, "reason": "credit note or invoice changed"},
            "actor": actor,
        }
        for i, amount in back.items()
        if i in touched
    ]
    await add_entries(session, tenant_id, entries + _status_entries(states, actor))
    await emit_invoices_changed(session, tenant_id, touched, "credit undone")
    customers = {rows[i].customer_id for i in rows}
    ids = [a.invoice_id for a in undone] + [a.credit_id for a in undone]
    return customers | await repo.customers_of_invoices(session, tenant_id, ids)


async def _apply(
    session: AsyncSession, profile: TenantProfile, scope: list[uuid.UUID] | None, actor: str
) -> set[uuid.UUID]:
    """Step 2; answers the customers that have credit (applied now or still unapplied)."""
    tenant_id, today = profile.tenant_id, profile.today()
    # Most customers of a batch have no credit: find the few that do through the partial indexes first, and
    # read (lock) only their payments and invoices.
    holders = sorted(await repo.customers_with_credit(session, tenant_id, scope))
    if not holders:
        return set()
    # Payments first, then invoices (in id order): the order the payments engine locks them in.
    payments = await repo.lock_credit_payments(session, tenant_id, holders)
    rows = await repo.lock_open_invoices(session, tenant_id, holders)
    credits: dict[uuid.UUID, list[Credit]] = defaultdict(list)
    for p in payments:
        # A payment that named its invoices gave them what it named: what is left waits as credit (an impossible
        # name, see ``_named``), it does not go oldest first against the payer's word.
        named: tuple[Named, ...] = (Named(p.id),) if p.named_invoices else ()
        credits[p.customer_id].append(Credit("payment", p.id, p.currency, p.unapplied_amount, p.payment_date, named))
    for row in rows.values():
        if row.kind == InvoiceKind.CREDIT_NOTE:
            named = _named(row, rows)
            credits[row.customer_id].append(
                Credit("credit_note", row.id, row.currency, row.open_amount, row.issue_date, named)
            )
    states, ledger = _ledger(rows)
    currency_of = {i: r.currency for i, r in rows.items()}
    applied: list[tuple[Credit, Allocation]] = []
    for customer_id, theirs in credits.items():
        own = Ledger(ledger.items[i] for i, r in rows.items() if r.customer_id == customer_id)
        for credit, result in plan_credits(theirs, own, currency_of):
            applied.append((credit, result))
            if credit.source == "credit_note":
                own.adjust(credit.source_id, -result.applied)
        for invoice_id, item in own.items.items():
            ledger.items[invoice_id] = item
    for invoice_id in [i for i in rows if ledger.changed(i)]:
        state = states[invoice_id]
        state.status = after_payment(state.status, ledger.items[invoice_id].open_amount)
        if state.status == InvoiceStatus.PAID:
            state.closed_on = state.paid_on = today
    if applied:
        await _write_applications(session, tenant_id, applied, today)
        touched = await write_invoices(session, profile, states, ledger, actor, "credit applied")
        await add_entries(session, tenant_id, _applied_entries(applied, rows, actor) + _status_entries(states, actor))
        await emit_invoices_changed(session, tenant_id, touched, "credit applied")
    return set(credits)


def _ledger(rows: dict[uuid.UUID, InvoiceRow]) -> tuple[dict[uuid.UUID, InvoiceState], Ledger]:
    states = {
        i: InvoiceState(r.customer_id, r.currency, r.number, r.status, r.status, r.closed_on, r.promised_date)
        for i, r in rows.items()
    }
    items = [OpenItem(i, r.open_amount, r.due_date, r.issue_date, r.number, r.status, r.kind) for i, r in rows.items()]
    return states, Ledger(items)


def _named(credit_note: InvoiceRow, rows: dict[uuid.UUID, InvoiceRow]) -> tuple[Named, ...]:
    """The invoices a credit note names (``applies_to``: ids or the ERP's external ids) among its customer's."""
    wanted = list(credit_note.applies_to or [])
    if not wanted:
        return ()
    mine = [r for r in rows.values() if r.customer_id == credit_note.customer_id]
    by_key = {str(r.id): r.id for r in mine} | {r.external_id: r.id for r in mine if r.external_id}
    found = [by_key[k] for k in wanted if k in by_key]
    # Named invoices that are closed or gone: keep one impossible name so the credit waits instead of going
    # oldest first (plan_credits drops names it cannot find).
    return tuple(Named(i) for i in dict.fromkeys(found)) or (Named(credit_note.id),)


async def _write_applications(
    session: AsyncSession, tenant_id: uuid.UUID, applied: list[tuple[Credit, Allocation]], today: date
) -> None:
    """Credit notes' applications are dated by the tenant's today (its clock: the statement's date of the line)."""
    notes = [
        NewCreditApplication(c.source_id, i, a, today)
        for c, result in applied
        if c.source == "credit_note"
        for i, a in result.allocations
    ]
    if notes:
        await repo.insert_credit_applications(session, tenant_id, notes)
    allocations = [
        NewAllocation(c.source_id, i, a, c.on)
        for c, result in applied
        if c.source == "payment"
        for i, a in result.allocations
    ]
    if allocations:
        await repo.insert_allocations(session, tenant_id, allocations)
        used: dict[uuid.UUID, Decimal] = defaultdict(Decimal)
        for c, result in applied:
            if c.source == "payment":
                used[c.source_id] += result.applied
        await repo.consume_unapplied(session, tenant_id, used)


def _applied_entries(
    applied: list[tuple[Credit, Allocation]], rows: dict[uuid.UUID, InvoiceRow], actor: str
) -> list[dict[str, Any]]:
    entries = []
    for credit, result in applied:
        what = f"credit note {rows[credit.source_id].number}" if credit.source == "credit_note" else "over-payment"
        entries.append(
            {
                "customer_id": rows[result.allocations[0][0]].customer_id,
                "kind": "credit_applied",
                "ref_id": credit.source_id,
                "summary": f"Credit of {credit.currency} {result.applied} applied ({what})",
                "data": {
                    "source": credit.source,
                    "source_id": credit.source_id,
                    "allocations": [
                        {"invoice_id": i, "number": rows[i].number, "amount": a} for i, a in result.allocations
                    ],
                },
                "actor": actor,
            }
        )
    return entries


def _status_entries(states: dict[uuid.UUID, InvoiceState], actor: str) -> list[dict[str, Any]]:
    return [
        {
            "customer_id": s.customer_id,
            "invoice_id": i,
            "kind": "status_change",
            "summary": f"Invoice {s.number}: {s.original_status} -> {s.status}",
            "data": {"from": s.original_status, "to": str(s.status), "reason": "credit"},
            "actor": actor,
        }
        for i, s in states.items()
        if s.status != s.original_status
    ]
