"""Explain: for one customer and day, which strategy applies and why, and for each open invoice its last
step, the step due today or the exact reason there is none, and its next step and date; then each message's
fate (delivery state, error, the fallbacks it took). What a collector needs to answer "why did (or didn't)
this customer get a message?". Decided by the same pure rules."""

import uuid
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dunning_service.action_items.repository import open_items_of_customer
from dunning_service.experiments import service as experiments
from dunning_service.experiments.rules import choose
from dunning_service.fees import service as fees
from dunning_service.projection import repository as projection
from dunning_service.runs.context import load_strategies, load_tenant, pending_cutoff
from dunning_service.runs.repository import DispatchRow, customer_dispatches
from dunning_service.runs.rules import Decision, evaluate_customer, reply_pause
from dunning_service.runs.service import plan_items
from dunning_service.settings import DunningSettings
from dunning_service.strategies.installments import invoice_choice, plan_strategy
from dunning_service.strategies.rules import Step, Strategy, next_step, overdue_amounts
from shared.contracts.common import Channel
from shared.problems import NotFound

WAITING = frozenset({"no_step_yet", "step_already_sent", "awaiting_acceptance", "not_business_day"})


def _outcome(decision: Decision) -> str:
    if decision.due:
        return "due"
    return "waiting" if decision.reason in WAITING else "excluded"


def _last_step(invoice_id: uuid.UUID, history: list[DispatchRow]) -> dict[str, Any] | None:
    for d in history:  # newest first
        if invoice_id in d.invoice_ids and d.state in ("sent", "accepted", "pending", "task"):
            key = d.step_keys[d.invoice_ids.index(invoice_id)]
            return {
                "step_key": key,
                "as_of": d.as_of,
                "channel": d.channel,
                "state": d.state,
                "delivery_state": d.delivery_state,
                "dispatched_at": d.created_at,
            }
    return None


def _fate(d: DispatchRow) -> dict[str, Any]:
    return {
        "id": d.id,
        "as_of": d.as_of,
        "channel": d.channel,
        "address": d.address,
        "message_id": d.message_id,
        "state": d.state,
        "delivery_state": d.delivery_state,
        "error": d.error,
        "dispatched_at": d.created_at,
    }


def _history(rows: list[DispatchRow]) -> list[dict[str, Any]]:
    """What runs handed over, newest first, each with the fallbacks its failure took (oldest first)."""
    fallbacks: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for d in reversed(rows):
        if d.origin_id is not None:
            fallbacks.setdefault(d.origin_id, []).append(_fate(d))
    return [
        {
            **_fate(d),
            "kind": d.kind,
            "tone": d.tone,
            "invoice_ids": d.invoice_ids,
            "step_keys": d.step_keys,
            "fallbacks": fallbacks.get(d.id, []),
        }
        for d in rows
        if d.origin_id is None
    ][:20]


async def explain_customer(
    session: AsyncSession, settings: DunningSettings, tenant_id: uuid.UUID, customer_id: uuid.UUID, as_of: date | None
) -> dict[str, Any]:
    tenant = await load_tenant(session, tenant_id)
    day = as_of or tenant.today()
    open_items = {
        inv: item.id
        for item in await open_items_of_customer(session, tenant_id, customer_id)
        for inv in item.invoice_ids
    }
    customer = await projection.customer(session, tenant_id, customer_id)
    if customer is None:
        raise NotFound("Customer not found in dunning's projection")
    cutoff = pending_cutoff(settings.pending_expiry_hours)
    invoices = await projection.open_invoices_of_customer(session, tenant_id, customer_id, cutoff, open_items)
    strategies = await load_strategies(session, tenant_id)
    steering, held = await experiments.steering_of(session, tenant_id, customer_id)  # "experiment X, variant B"
    choice = choose(strategies, customer, overdue_amounts(invoices, day), steering, held)
    evaluation = evaluate_customer(
        customer, invoices, strategies, day, tenant.calendar, tenant.tolerances, tenant.reply_pause_days, choice
    )
    history = await customer_dispatches(session, tenant_id, customer_id)
    channel_of: dict[uuid.UUID, str] = {}
    for c in evaluation.plan.communications:
        channel_of.update({i.invoice.id: c.channel.value for i in c.items})
    for t in evaluation.plan.tasks:
        channel_of.update({i.invoice.id: "task" for i in t.items})
    for call in evaluation.plan.calls:
        channel_of.update({i.invoice.id: "call" for i in call.items})
    strategy = evaluation.choice.strategy
    plans = plan_strategy(strategies)
    closed = tenant.calendar.closed_reason(day)
    out_invoices = []
    invoice_strategies = {}
    for decision in evaluation.decisions:
        inv = decision.invoice
        followed = invoice_choice(inv, evaluation.choice, plans)  # issue 19: an installment follows the plans'
        invoice_strategies[inv.id] = followed.strategy.id if followed.strategy else None
        upcoming = None
        own = followed.strategy
        if own is not None and not own.manual_only and decision.reason in WAITING | {"due"}:
            upcoming = next_step(own.steps, inv, day, tenant.calendar, sent_today=decision.step)
        out_invoices.append(
            {
                "invoice_id": inv.id,
                "number": inv.number,
                "status": inv.status,
                "currency": inv.currency,
                "open_amount": inv.open_amount,
                "due_date": inv.due_date,
                "days_overdue": inv.days_overdue(day),
                "outcome": _outcome(decision),
                "reason": decision.reason,
                "detail": decision.detail,
                "due_step": _step(decision.step, channel_of.get(inv.id)) if decision.step else None,
                "last_step": _last_step(inv.id, history),
                "next_step": {**_step(upcoming[0]), "date": upcoming[1]} if upcoming else None,
                "strategy": _strategy_ref(own),
                "strategy_reason": followed.reason,
            }
        )
    return {
        "customer": {
            "id": customer.id,
            "name": customer.name,
            "vip": customer.vip,
            "segment": customer.segment,
            "risk_level": customer.risk_level,
            "computed_risk_level": customer.computed_risk_level,
            "tags": sorted(customer.tags),
            "country": customer.country,
            "deleted": customer.deleted,
        },
        "as_of": day,
        "business_day": closed is None,
        "closed_reason": closed,
        "next_business_day": tenant.calendar.next_business_day(day),
        "strategy": _strategy_ref(strategy),
        "strategy_reason": evaluation.choice.reason,
        "paused": reply_pause(customer, day, tenant.reply_pause_days),
        "channels": [
            {
                "channel": channel,
                "address": customer.address(channel),
                "usable": customer.address(channel) is not None,
                "problem": customer.channel_problem(channel),
            }
            for channel in Channel
        ],
        "invoices": out_invoices,
        "planned": plan_items([evaluation.plan], day, 100) if evaluation.plan.items else [],
        "history": _history(history),
        **await fees.explain(
            session, tenant_id, customer_id, strategy.id if strategy else None, invoices, day, invoice_strategies
        ),
    }


def _strategy_ref(strategy: Strategy | None) -> dict[str, Any] | None:
    if strategy is None:
        return None
    return {
        "id": strategy.id,
        "name": strategy.name,
        "version": strategy.version,
        "manual_only": strategy.manual_only,
        "priority": strategy.priority,
        "is_default": strategy.is_default,
        "for_payment_plans": strategy.for_payment_plans,
    }


def _step(step: Step, channel: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "key": step.key,
        "kind": step.kind,
        "days": step.days,
        "tone": step.tone,
        "channels": list(step.channels),
        "action": step.action,
        "description": step.describe(),
        "script": step.script,
    }
    if channel is not None:
        out["channel"] = channel
    return out
