"""What each action's page shows around its form (the promise's last date, the call's window, the plan's choices)
and the one way to answer it: the form, the form again with its errors (422), or what was done."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from services.portal.actions.asks import call_window, debt_of, phone_of, plan_rules
from services.portal.actions.rules import DisputeReason, FieldError, least_down_payment
from services.portal.actions.service import Result, today_of
from services.portal.pages.rendering import page, texts
from services.portal.pages.service import Position
from services.portal.settings import PortalSettings
from services.portal.upstream import Upstream
from services.portal.visits.service import Visit
from shared.words import words

ACTIONS = ("report", "promise", "dispute", "call", "opt_out", "plan")


@dataclass(frozen=True)
class Shown:
    """One action's page: its form's values and errors, or what was done."""

    action: str
    values: dict[str, Any]
    result: Result | None = None


async def around(action: str, upstream: Upstream, visit: Visit, position: Position, request: Request) -> dict[str, Any]:
    """The figures an action's form states beside its fields."""
    w = words(position.language)
    if action == "report":
        settings: PortalSettings = request.app.state.settings
        return {"max_mb": f"{settings.receipt_max_bytes / 1_048_576:.0f}", "today": today_of(position).isoformat()}
    if action == "promise":
        today = today_of(position)
        last = today + timedelta(days=visit.settings.promise_max_days)
        return {"first": today.isoformat(), "last": last.isoformat(), "last_text": w.date(last, "long")}
    if action == "dispute":
        return {"reasons": [r.value for r in DisputeReason]}
    if action == "call":
        window, customer, _ = await call_window(upstream, visit)
        hours = {"start": window.start.strftime("%H:%M"), "end": window.end.strftime("%H:%M")} if window else None
        return {"window": hours, "phone": phone_of(customer) or ""}
    if action == "plan":
        rules = plan_rules(visit)
        debt, currency = debt_of(position)
        least = least_down_payment(debt, rules)
        hint = {"debt": w.money(debt, currency), "least": w.money(least, currency), "max": rules.max_installments}
        return {"choices": list(range(2, rules.max_installments + 1)), "hint": hint, "least": str(least)}
    return {}


def messages(language: str, errors: list[FieldError]) -> dict[str, str]:
    t = texts(language)
    return {e.field: t[e.code].format(**dict(e.values)) for e in errors}


async def answer(request: Request, upstream: Upstream, visit: Visit, position: Position, shown: Shown) -> HTMLResponse:
    result = shown.result
    errors = messages(position.language, result.errors) if result else {}
    succeeded = result is not None and not errors
    context = {
        "action": shown.action,
        "values": shown.values,
        "errors": errors,
        "done": result.done if result is not None and succeeded else None,
        **({} if succeeded else await around(shown.action, upstream, visit, position, request)),
    }
    status = 422 if errors else 200
    return page(
        request,
        f"action_{shown.action}.html",
        position.language,
        visit=visit,
        p=position,
        status_code=status,
        **context,
    )
