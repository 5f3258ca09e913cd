"""What the debtor asks of a person or of messaging: a call at a chosen time (a task for its collector, inside the
contact window), a payment plan within the tenant's rules (a proposal to receivables' payment plans, issue 19; a task
for approval when receivables refuses it), no more messages on a channel (an opt-out in messaging)."""

import uuid
from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncSession

from services.portal.actions.rules import (
    ContactWindow,
    FieldError,
    PlanRules,
    call_problem,
    first_installment_date,
    installment_amount,
    plan_problem,
    plan_request,
)
from services.portal.actions.schemas import CallForm, OptOutForm, PlanForm
from services.portal.actions.service import Result, Words, carry_out, contact_for, people_of, task, today_of
from services.portal.audit.schemas import ActionKind
from services.portal.pages.service import Position
from services.portal.upstream import Refused, Upstream
from services.portal.visits.service import Visit
from shared.words import words

# Calls are made on the phone: the window of the phone-number channels (seed 002: never call outside the allowed
# hours). messaging keeps one per channel; SMS's stands for the phone.
CALL_WINDOW_CHANNEL = "sms"
# Receivables' payment plans (issue 19): a plan the debtor asks for is proposed there, as ``service:portal``.
PLANS_PATH = "/v1/payment-plans"


def window_of(messaging_settings: dict[str, Any]) -> ContactWindow | None:
    quiet = (messaging_settings.get(CALL_WINDOW_CHANNEL) or {}).get("quiet_hours")
    if not quiet:
        return None
    return ContactWindow(time.fromisoformat(quiet["start"]), time.fromisoformat(quiet["end"]), frozenset(quiet["days"]))


def zone(*names: str | None) -> ZoneInfo:
    """The customer's time zone, else the tenant's, else UTC."""
    for name in names:
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


async def call_window(upstream: Upstream, visit: Visit) -> tuple[ContactWindow | None, dict[str, Any], ZoneInfo]:
    """The contact window, the customer and its zone (the page shows the window; the post checks it)."""
    customer = await upstream.customer(visit.tenant_id, visit.customer_id)
    messaging = await upstream.get_json("messaging", "/v1/messaging-settings", visit.tenant_id)
    tz = customer.get("timezone")
    if not tz:
        receivables = await upstream.get_json("receivables", "/v1/receivables-settings", visit.tenant_id)
        tz = receivables.get("timezone")
    return window_of(messaging if isinstance(messaging, dict) else {}), customer, zone(tz)


def phone_of(customer: dict[str, Any]) -> str | None:
    found = contact_for(customer, ("whatsapp", "sms"))
    return found[1] if found else None


async def request_call(
    session: AsyncSession, upstream: Upstream, visit: Visit, position: Position, form: CallForm, t: Words
) -> Result:
    window, customer, tz = await call_window(upstream, visit)
    now_local = datetime.now(UTC).astimezone(tz).replace(tzinfo=None)
    local = form.call_at.replace(tzinfo=None)
    if problem := call_problem(local, now_local, window):
        return Result([problem])
    when = f"{words(position.language).date(local.date(), 'long')} {local.strftime('%H:%M')}"
    detail = {"call_at": local.isoformat(), "timezone": str(tz), "phone": form.phone, "topic": form.topic}

    async def act(action_id: uuid.UUID) -> dict[str, Any]:
        body = {
            "title": t("task_call").format(name=customer["name"], when=when)[:200],
            "description": "\n".join(x for x in (f"{form.phone} · {when} ({tz})", form.topic) if x),
            "due_date": local.date().isoformat(),
            **people_of(position, customer),
        }
        return {"task_id": (await task(upstream, visit, body))["id"]}

    errors = await carry_out(session, visit, position, ActionKind.CALL_REQUESTED, detail, ("call_at", "phone"), act)
    return Result(errors, {} if errors else {"when": when, "phone": form.phone})


async def opt_out(
    session: AsyncSession, upstream: Upstream, visit: Visit, position: Position, form: OptOutForm, t: Words
) -> Result:
    customer = await upstream.customer(visit.tenant_id, visit.customer_id)
    addresses = [c["address"] for c in customer.get("contacts") or [] if c["channel"] == form.channel]
    if not addresses:
        return Result([FieldError("channel", "error_no_address")])
    detail = {"channel": form.channel, "addresses": addresses}

    async def act(action_id: uuid.UUID) -> dict[str, Any]:
        done = []
        for address in addresses:  # every address of the customer on that channel
            body = {"channel": form.channel, "address": address, "customer_id": str(visit.customer_id)}
            body["reason"] = "portal"
            answer = await upstream.post_json("messaging", "/v1/opt-out", visit.tenant_id, body)
            done.append(str(answer["id"]))
        return {"opt_out_ids": done}

    errors = await carry_out(session, visit, position, ActionKind.OPTED_OUT, detail, ("channel",), act)
    return Result(errors, {} if errors else {"channel": t("channel_" + form.channel)})


def plan_rules(visit: Visit) -> PlanRules:
    s = visit.settings
    return PlanRules(s.plan_max_installments, s.plan_min_down_payment_percent, s.plan_min_amount, s.plan_max_amount)


def debt_of(position: Position) -> tuple[Decimal, str]:
    """What a plan would cover: the open balance of the customer's main currency (the largest)."""
    totals = [(Decimal(str(x["balance"])), x["currency"]) for x in position.statement["totals"]]
    return max(totals, default=(Decimal(0), ""))


async def request_plan(
    session: AsyncSession, upstream: Upstream, visit: Visit, position: Position, form: PlanForm, t: Words
) -> Result:
    """Within the portal's rules -> a proposal to receivables (issue 19; seed 004: "renegociar la deuda a tres
    plazos"), which accepts it or leaves it proposed within the tenant's limits. Refused there (422, its detail shown
    to the debtor) or not offered (no payment plans: 404), a task for the collector to approve by hand, as before."""
    debt, currency = debt_of(position)
    if problem := plan_problem(debt, form.installments, form.down_payment, plan_rules(visit)):
        return Result([problem])
    w = words(position.language)
    each = installment_amount(debt, form.down_payment, form.installments)
    shown = {"debt": w.money(debt, currency), "down": w.money(form.down_payment, currency)}
    shown |= {"amount": w.money(each, currency), "installments": str(form.installments)}
    detail = {"currency": currency, "debt": str(debt), "installments": form.installments}
    detail |= {"down_payment": str(form.down_payment), "installment_amount": str(each), "comment": form.comment}
    first = first_installment_date(today_of(position))
    proposal = plan_request(visit.customer_id, currency, form.installments, first, form.down_payment)
    after: dict[str, str] = {}

    async def act(action_id: uuid.UUID) -> dict[str, Any]:
        headers = {"Idempotency-Key": f"portal-plan:{action_id}"}
        try:
            plan = await upstream.post_json("receivables", PLANS_PATH, visit.tenant_id, proposal, headers=headers)
        except Refused as refused:
            if refused.status not in (404, 422):
                raise
            refusal = refused.detail if refused.status == 422 else None
            after["next"] = t("plan_next_refused").format(detail=refusal) if refusal else t("plan_next_review")
            return {**await plan_task(upstream, visit, position, form, shown, t, refusal), "plan_created": False}
        created = {"plan_id": plan["id"], "plan_status": plan.get("status"), "plan_created": True}
        if plan.get("status") == "accepted":
            after["next"] = t("plan_next_accepted").format(first=w.date(first, "long"))
            return created
        after["next"] = t("plan_next_review")  # proposed: the collector accepts or rejects it
        return {**created, **await plan_task(upstream, visit, position, form, shown, t, None, plan["number"])}

    fields = ("installments", "down_payment")
    errors = await carry_out(session, visit, position, ActionKind.PLAN_REQUESTED, detail, fields, act)
    return Result(errors, {} if errors else shown | after)


async def plan_task(
    upstream: Upstream,
    visit: Visit,
    position: Position,
    form: PlanForm,
    shown: dict[str, str],
    t: Words,
    refusal: str | None,
    proposed: str | None = None,
) -> dict[str, Any]:
    """The plan for the collector to approve: the proposal receivables holds (its number), else by hand
    (receivables' refusal, when it gave one, in the task)."""
    customer = await upstream.customer(visit.tenant_id, visit.customer_id)
    then = t("task_plan_proposed").format(number=proposed) if proposed else t("task_plan_record")
    notes = (
        t("task_plan_note").format(**shown),
        then,
        refusal and t("task_plan_refused").format(detail=refusal),
    )
    body = {
        "title": t("task_plan").format(name=customer["name"], installments=form.installments)[:200],
        "description": "\n".join(x for x in (*notes, form.comment) if x),
        "due_date": today_of(position).isoformat(),
        **people_of(position, customer),
    }
    return {"task_id": (await task(upstream, visit, body))["id"]}
