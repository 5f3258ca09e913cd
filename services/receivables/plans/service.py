"""Payment plans' writes: propose, accept, reject, cancel. Each in the request's one transaction, with its events.

Proposed, a plan changes nothing. Accepted (design decision 1 of issue 19): its invoices become ``in_plan`` (dunning
reminds only ``normal`` invoices) and one installment invoice per installment (kind ``installment``, ``plan_id``
set, issued on the day of acceptance) carries the debt, announced as any invoice write: dunning, messages, the
portal and payments handle them as invoices. Ending a plan (broken, cancelled) and completing one: ``lifecycle.py``.
"""

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.events import emit_invoices_changed
from services.receivables.plans import repository, rules
from services.receivables.plans.lifecycle import end_plan
from services.receivables.plans.repository import InvoiceFacts, PlanRow
from services.receivables.plans.rules import PlanInvalid, PlanLimits, Schedule
from services.receivables.plans.schemas import PlanOut, PlanPropose
from services.receivables.plans.state import announce, plan_out
from services.receivables.tenant_settings.repository import TenantProfile
from shared.contracts.common import InvoiceKind, InvoiceStatus
from shared.contracts.receivables import PlanSource, PlanStatus
from shared.identity import Identity
from shared.ids import uuid7_texts
from shared.problems import Conflict, NotFound

# The statuses whose invoices a plan may group: owed, not disputed, not closed, in no plan.
GROUPABLE = frozenset({InvoiceStatus.NORMAL, InvoiceStatus.PROMISE_TO_PAY, InvoiceStatus.PAYMENT_REPORTED})


def source_of(identity: Identity) -> PlanSource:
    """Who proposes: the portal (``service:portal``), a person (a collector's desk) or an integration (the ERP)."""
    if identity.actor == "service:portal":
        return PlanSource.PORTAL
    return PlanSource.COLLECTOR if identity.actor.startswith("user:") else PlanSource.ERP


def check_groupable(invoices: list[InvoiceFacts], customer_id: uuid.UUID, currency: str, field: str) -> None:
    """Every invoice of the customer, in the currency, owed, not disputed, not closed, in no plan."""
    for position, inv in enumerate(invoices):
        where = f"{field}[{position}]" if field == "invoice_ids" else field
        if inv.customer_id != customer_id:
            raise PlanInvalid(where, f"invoice {inv.number} belongs to another customer")
        if inv.currency != currency:
            raise PlanInvalid(where, f"invoice {inv.number} is in {inv.currency}, the plan in {currency}")
        if inv.kind == InvoiceKind.CREDIT_NOTE:
            raise PlanInvalid(where, f"{inv.number} is a credit note")
        if inv.plan_id is not None or inv.status == InvoiceStatus.IN_PLAN:
            raise PlanInvalid(where, f"invoice {inv.number} is already in a payment plan")
        if inv.status == InvoiceStatus.DISPUTE:
            raise PlanInvalid(where, f"invoice {inv.number} is disputed")
        if inv.status not in GROUPABLE or inv.open_amount <= 0:
            raise PlanInvalid(where, f"invoice {inv.number} is {inv.status}: it owes nothing to plan")


def build_schedule(data: PlanPropose, principal: Decimal, today: date) -> Schedule:
    if data.rule is not None:
        return rules.from_rule(
            principal=principal,
            currency=data.currency,
            count=data.rule.count,
            first_due_date=data.rule.first_due_date,
            every=data.rule.every,
            start=today,
            down_payment=data.down_payment,
            down_payment_due_date=data.down_payment_due_date,
            annual_rate=data.interest_annual_rate,
        )
    assert data.schedule is not None
    return rules.from_list(
        principal=principal,
        currency=data.currency,
        listed=[(s.due_date, s.amount) for s in data.schedule],
        start=today,
        down_payment=data.down_payment,
        down_payment_due_date=data.down_payment_due_date,
        annual_rate=data.interest_annual_rate,
    )


async def propose(session: AsyncSession, profile: TenantProfile, identity: Identity, data: PlanPropose) -> PlanOut:
    tenant_id, today = profile.tenant_id, profile.today()
    source = source_of(identity)
    assert data.customer_id is not None  # resolved from either form by the router
    # The tenant's numbering lock first: two proposals with one external_id are checked one after the other (the
    # second answers the 409 naming it, not the unique index's anonymous one).
    number = await repository.next_number(session, tenant_id)
    if data.external_id and await repository.external_id_taken(session, tenant_id, data.external_id):
        raise Conflict(f"A payment plan with external_id {data.external_id!r} exists")
    if data.customer_id not in await repository.customer_refs(session, tenant_id, [data.customer_id]):
        raise PlanInvalid("customer_id", "no such customer in this tenant")
    invoices = await repository.invoices_to_group(session, tenant_id, data.customer_id, data.currency, data.invoice_ids)
    if data.invoice_ids is not None:
        missing = set(data.invoice_ids) - {i.id for i in invoices}
        if missing:
            position = next(k for k, i in enumerate(data.invoice_ids) if i in missing)
            raise PlanInvalid(f"invoice_ids[{position}]", "no such invoice in this tenant")
        by_id = {i.id: i for i in invoices}
        check_groupable([by_id[i] for i in data.invoice_ids], data.customer_id, data.currency, "invoice_ids")
    elif not invoices:
        raise PlanInvalid("invoice_ids", f"the customer owes nothing in {data.currency} outside a plan")
    principal = sum((i.open_amount for i in invoices), Decimal(0))
    schedule = build_schedule(data, principal, today)
    limits = PlanLimits.from_stored(profile.plan_limits)
    if source == PlanSource.PORTAL:
        rules.check_limits(schedule, data.interest_annual_rate, limits, today)
    plan = await repository.insert_plan(
        session,
        {
            "tenant_id": tenant_id,
            "id": uuid.UUID(uuid7_texts(1)[0]),
            "number": number,
            "customer_id": data.customer_id,
            "currency": data.currency,
            "status": PlanStatus.PROPOSED.value,
            "source": source.value,
            "proposed_by": identity.actor,
            "external_id": data.external_id,
            "invoice_ids": [i.id for i in invoices],
            "schedule": schedule.as_json(),
            "principal": principal,
            "down_payment": schedule.down_payment,
            "interest_annual_rate": data.interest_annual_rate,
            "interest_amount": schedule.interest_amount,
            "total": schedule.total,
            "grace_days": limits.grace_days if data.grace_days is None else data.grace_days,
            "created_at": profile.clock.now(),
        },
    )
    await announce(session, tenant_id, [plan.id], identity.actor)
    if source == PlanSource.PORTAL and limits.portal_auto_accept:
        return await accept(session, profile, identity, plan.id)
    return plan_out(plan, [])


async def _locked(session: AsyncSession, tenant_id: uuid.UUID, plan_id: uuid.UUID) -> PlanRow:
    plan = await repository.get_plan(session, tenant_id, plan_id, lock=True)
    if plan is None:
        raise NotFound("Payment plan not found")
    return plan


async def read(session: AsyncSession, tenant_id: uuid.UUID, plan_id: uuid.UUID) -> PlanOut:
    plan = await repository.get_plan(session, tenant_id, plan_id)
    if plan is None:
        raise NotFound("Payment plan not found")
    installments = await repository.installments_of(session, tenant_id, [plan.id])
    return plan_out(plan, installments.get(plan.id, []))


async def accept(session: AsyncSession, profile: TenantProfile, identity: Identity, plan_id: uuid.UUID) -> PlanOut:
    """Proposed -> accepted, in one transaction; accepting an accepted plan again changes nothing."""
    tenant_id, today = profile.tenant_id, profile.today()
    plan = await _locked(session, tenant_id, plan_id)
    if plan.status == PlanStatus.ACCEPTED:
        return await read(session, tenant_id, plan_id)
    if plan.status != PlanStatus.PROPOSED:
        raise Conflict(f"The plan is {plan.status}: only a proposed plan can be accepted")
    first_due = min(date.fromisoformat(entry["due_date"]) for entry in plan.schedule)
    if first_due < today:
        raise Conflict(f"The plan's first installment was due on {first_due.isoformat()}: propose it again")
    invoices = await repository.grouped_invoices(session, tenant_id, plan.invoice_ids)
    try:
        check_groupable(invoices, plan.customer_id, plan.currency, "invoice_ids")
    except PlanInvalid as exc:
        raise Conflict(f"The plan's invoices changed since it was proposed: {exc.message}") from exc
    if sum((i.open_amount for i in invoices), Decimal(0)) != plan.principal or len(invoices) != len(plan.invoice_ids):
        raise Conflict("The plan's invoices owe another amount than when it was proposed: propose it again")
    await repository.group_invoices(session, tenant_id, plan.id, plan.invoice_ids, today)
    count = sum(1 for entry in plan.schedule if entry["number"] > 0)
    rows = [
        {
            "customer_id": plan.customer_id,
            "currency": plan.currency,
            "plan_id": plan.id,
            "issue_date": today,
            "number": f"{plan.number} {entry['number']}/{count}",
            "amount": Decimal(entry["amount"]),
            "due_date": date.fromisoformat(entry["due_date"]),
        }
        for entry in plan.schedule
    ]
    created = await repository.insert_installments(session, tenant_id, rows, profile.clock.now())
    await emit_invoices_changed(session, tenant_id, [*plan.invoice_ids, *created], "payment plan accepted")
    await repository.set_plan(session, tenant_id, [plan.id], status=PlanStatus.ACCEPTED.value, accepted_on=today)
    await announce(session, tenant_id, [plan.id], identity.actor)
    return await read(session, tenant_id, plan_id)


async def reject(
    session: AsyncSession, profile: TenantProfile, identity: Identity, plan_id: uuid.UUID, reason: str
) -> PlanOut:
    plan = await _locked(session, profile.tenant_id, plan_id)
    if plan.status != PlanStatus.PROPOSED:
        raise Conflict(f"The plan is {plan.status}: only a proposed plan can be rejected")
    await repository.set_plan(session, profile.tenant_id, [plan.id], status=PlanStatus.REJECTED.value, reason=reason)
    await announce(session, profile.tenant_id, [plan.id], identity.actor)
    return await read(session, profile.tenant_id, plan_id)


async def cancel(
    session: AsyncSession, profile: TenantProfile, identity: Identity, plan_id: uuid.UUID, reason: str
) -> PlanOut:
    """A proposed plan withdrawn, or an accepted one ended by staff: its invoices restored as when broken (net of
    what it collected), but the status is ``cancelled`` (no alarm: somebody decided it)."""
    await repository.lock_installments(session, profile.tenant_id, plan_id)
    plan = await _locked(session, profile.tenant_id, plan_id)
    if plan.status == PlanStatus.PROPOSED:
        await repository.set_plan(
            session, profile.tenant_id, [plan.id], status=PlanStatus.CANCELLED.value, reason=reason
        )
        await announce(session, profile.tenant_id, [plan.id], identity.actor)
    elif plan.status == PlanStatus.ACCEPTED:
        await end_plan(session, profile.tenant_id, plan, PlanStatus.CANCELLED, profile.today(), identity.actor, reason)
    else:
        raise Conflict(f"The plan is {plan.status}: only a proposed or accepted plan can be cancelled")
    return await read(session, profile.tenant_id, plan_id)
