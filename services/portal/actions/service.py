"""Carrying out what the debtor asked: checked against its own open invoices and the tenant's rules first (a bad
field answers the form again, nothing written), then audited, then done through receivables or messaging. A
refusal from them is shown on the form; the audit keeps the attempt."""

import hashlib
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.portal.actions.rules import (
    FieldError,
    dispute_area,
    promise_problem,
    receipt_problem,
    receipt_type,
)
from services.portal.actions.schemas import DisputeForm, PromiseForm, ReportForm
from services.portal.audit import service as audit
from services.portal.audit.schemas import ActionKind
from services.portal.models import outbox
from services.portal.pages.service import Position
from services.portal.receipts import repository as receipts
from services.portal.receipts.router import receipt_path
from services.portal.receipts.storage import ReceiptStorage, StorageError
from services.portal.upstream import Refused, Upstream
from services.portal.visits.service import Visit
from shared.contracts.common import Channel
from shared.contracts.messaging import Communication, CommunicationKind, CustomerInfo, SendCommunications
from shared.outbox import emit
from shared.problems import BadGateway
from shared.words import words

Words = Callable[[str], str]  # a key of the page's words -> the text in the customer's language


@dataclass
class Result:
    """What the page says after a post: the errors beside their fields, or what was done (the words' values)."""

    errors: list[FieldError] = field(default_factory=list)
    done: dict[str, str] = field(default_factory=dict)


def foreign_invoices(position: Position, ids: Iterable[uuid.UUID], name: str) -> FieldError | None:
    """Never trust ids from the form: each must be one of the customer's open invoices."""
    own = {str(i["invoice_id"]) for i in position.open_invoices}
    return FieldError(name, "error_not_yours") if any(str(i) not in own for i in ids) else None


def refusal_errors(refused: Refused, fields: Iterable[str]) -> list[FieldError]:
    """Receivables' or messaging's no, beside the field it names (``invoice_ids[0]`` is ``invoice_ids``)."""
    known, problem = set(fields), refused.problem
    named = [str(e.get("field", "")) for e in problem.get("errors") or [] if isinstance(e, dict)]
    named.append(str(problem.get("field") or ""))
    target = next((n.split("[")[0] for n in named if n.split("[")[0] in known), "form")
    if refused.status == 409 and target != "form":
        return [FieldError(target, "error_invoice_state")]
    return [FieldError(target, "error_refused", (("detail", refused.detail),))]


async def carry_out(
    session: AsyncSession,
    visit: Visit,
    position: Position,
    kind: ActionKind,
    detail: dict[str, Any],
    fields: Iterable[str],
    act: Callable[[uuid.UUID], Awaitable[dict[str, Any]]],
) -> list[FieldError]:
    """Audit, act, record the result (and announce it); a refusal becomes the form's errors."""
    action_id = await audit.record(session, visit, kind, detail)
    try:
        result = await act(action_id)
    except Refused as refused:
        await audit.refused(session, visit, action_id, refused.problem)
        return refusal_errors(refused, fields)
    await audit.done(session, visit, action_id, result, position.customer.get("external_id"))
    return []


async def outcome(upstream: Upstream, visit: Visit, body: dict[str, Any]) -> dict[str, Any]:
    """An outcome of the debtor's own contact through its page (channel ``portal``, seed 000)."""
    body = {"customer_id": str(visit.customer_id), "channel": "portal", "spoke_with": None, **body}
    answer: dict[str, Any] = await upstream.post_json("receivables", "/v1/outcomes", visit.tenant_id, body)
    return answer


def today_of(position: Position) -> date:
    """The tenant's today, as receivables dated the statement (its clock)."""
    return date.fromisoformat(str(position.statement["as_of"]))


async def report_payment(
    session: AsyncSession,
    upstream: Upstream,
    storage: ReceiptStorage,
    visit: Visit,
    position: Position,
    form: ReportForm,
    content: bytes,
    filename: str | None,
    max_bytes: int,
    t: Words,
) -> Result:
    """Seed 004's data and the receipt -> invoices ``payment_reported`` (seed 000) with the receipt stored."""
    errors = [e for e in (foreign_invoices(position, form.invoice_ids, "invoice_ids"),) if e]
    if form.paid_on > today_of(position):
        errors.append(FieldError("paid_on", "error_paid_on_future"))
    problem = receipt_problem(content, max_bytes)
    if problem:
        errors.append(problem)
    if errors:
        return Result(errors)
    content_type, extension = receipt_type(content[:16]) or ("application/octet-stream", "bin")
    receipt_id = uuid.uuid4()
    key = f"{visit.tenant_id}/{receipt_id}.{extension}"
    w = words(position.language)
    amount = w.money(form.amount, position.open_invoices[0]["currency"] if position.open_invoices else "")
    detail = {
        "invoice_ids": [str(i) for i in form.invoice_ids],
        "paid_on": form.paid_on.isoformat(),
        "amount": str(form.amount),
        "bank": form.bank,
        "account": form.account,
        "reference": form.reference,
        "receipt_id": str(receipt_id),
    }

    async def act(action_id: uuid.UUID) -> dict[str, Any]:
        try:
            await storage.put(key, content, content_type)
        except StorageError as exc:  # nothing reached receivables: the debtor may try again
            raise BadGateway("The receipts' storage could not keep the file", service="storage") from exc
        note = t("note_report").format(
            bank=form.bank, account=form.account or "-", amount=amount, path=receipt_path(receipt_id)
        )
        answer = await outcome(
            upstream,
            visit,
            {
                "kind": "payment_reported",
                "invoice_ids": detail["invoice_ids"],
                "reported_date": detail["paid_on"],
                "reported_reference": form.reference,
                "note": note,
            },
        )
        await receipts.insert_receipt(
            session,
            visit.tenant_id,
            receipt_id,
            action_id=action_id,
            customer_id=visit.customer_id,
            storage_key=key,
            content_type=content_type,
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            filename=(filename or "")[:200] or None,
            paid_on=form.paid_on,
        )
        return {"outcome_id": answer["id"], "receipt_id": str(receipt_id), "invoice_ids": answer["invoice_ids"]}

    fields = ("invoice_ids", "paid_on", "amount", "reference")
    errors = await carry_out(session, visit, position, ActionKind.PAYMENT_REPORTED, detail, fields, act)
    return Result(errors, {} if errors else {"amount": amount})


async def promise(
    session: AsyncSession, upstream: Upstream, visit: Visit, position: Position, form: PromiseForm
) -> Result:
    """A date within the tenant's horizon -> ``promise_to_pay`` (seed 000), and a confirmation message."""
    problems = (
        foreign_invoices(position, form.invoice_ids, "invoice_ids"),
        promise_problem(form.promised_date, today_of(position), visit.settings.promise_max_days),
    )
    if errors := [e for e in problems if e]:
        return Result(errors)
    when = words(position.language).date(form.promised_date, "long")
    detail = {"invoice_ids": [str(i) for i in form.invoice_ids], "promised_date": form.promised_date.isoformat()}

    async def act(action_id: uuid.UUID) -> dict[str, Any]:
        body = {"kind": "promise_to_pay", **detail}
        answer = await outcome(upstream, visit, body)
        customer = await upstream.customer(visit.tenant_id, visit.customer_id)
        sent = await confirm(
            session, visit, position, customer, action_id, {"action": "promise", "promised_date": when}
        )
        return {"outcome_id": answer["id"], "invoice_ids": answer["invoice_ids"], "confirmation": sent}

    errors = await carry_out(
        session, visit, position, ActionKind.PROMISE, detail, ("invoice_ids", "promised_date"), act
    )
    return Result(errors, {} if errors else {"date": when})


CONTACT_ORDER = ("email", "whatsapp", "sms")


def contact_for(customer: dict[str, Any], order: Iterable[str] = CONTACT_ORDER) -> tuple[str, str] | None:
    """The customer's first usable contact, by channel preference (email first): valid, channel not opted out."""
    stopped = set(customer.get("opted_out_channels") or [])
    for channel in order:
        for contact in customer.get("contacts") or []:
            if contact["channel"] == channel and not contact.get("invalid") and channel not in stopped:
                return channel, contact["address"]
    return None


async def confirm(
    session: AsyncSession,
    visit: Visit,
    position: Position,
    customer: dict[str, Any],
    action_id: uuid.UUID,
    data: dict[str, Any],
) -> str | None:
    """The confirmation message, through the portal's outbox in this transaction; the channel used, or None."""
    contact = contact_for(customer)
    if contact is None:
        return None
    channel, address = contact
    info = CustomerInfo(
        customer_id=visit.customer_id,
        external_id=customer.get("external_id"),
        name=customer["name"],
        country=customer.get("country"),
        timezone=customer.get("timezone"),
        language=position.language,
    )
    message = Communication(
        kind=CommunicationKind.CONFIRMATION,
        idempotency_key=f"portal:{action_id}",
        channel=Channel(channel),
        to=address,
        language=position.language,
        customer=info,
        recipient_name=customer["name"],
        data=data,
        source="portal",
        source_ref=str(action_id),
    )
    await emit(session, outbox, visit.tenant_id, SendCommunications(communications=[message]))
    return channel


def people_of(position: Position, customer: dict[str, Any]) -> dict[str, str | None]:
    """The task's assignee (the customer's collector) and its supervisor (the customer's supervisor, else the
    collector: a service gives no task without naming one)."""
    collector = customer.get("collector_id")
    supervisor = (position.statement.get("supervisor") or {}).get("id") or collector
    return {"assignee_id": collector, "supervisor_id": supervisor if collector else None}


async def task(upstream: Upstream, visit: Visit, body: dict[str, Any]) -> dict[str, Any]:
    answer: dict[str, Any] = await upstream.post_json(
        "receivables", "/v1/tasks", visit.tenant_id, {"customer_id": str(visit.customer_id), **body}
    )
    return answer


async def first_area(upstream: Upstream, visit: Visit) -> uuid.UUID | None:
    """No area mapped to the reason (nor to ``other``): the tenant's first active dispute area (seed 000: a
    dispute goes to the area responsible)."""
    answer = await upstream.get_json("receivables", "/v1/dispute-areas", visit.tenant_id, limit=500)
    active = sorted((a["name"], a["id"]) for a in answer.get("items", []) if a.get("active", True))
    return uuid.UUID(active[0][1]) if active else None


async def dispute(
    session: AsyncSession, upstream: Upstream, visit: Visit, position: Position, form: DisputeForm, t: Words
) -> Result:
    """One invoice, a reason and a comment -> ``dispute`` with the area the tenant maps the reason to (seed 000)."""
    if problem := foreign_invoices(position, [form.invoice_id], "invoice_id"):
        return Result([problem])
    area = dispute_area(form.reason, {str(k): str(v) for k, v in visit.settings.dispute_areas.items()})
    area = area or await first_area(upstream, visit)
    detail = {"invoice_id": str(form.invoice_id), "reason": form.reason.value, "comment": form.comment}
    number = next(i["number"] for i in position.open_invoices if str(i["invoice_id"]) == detail["invoice_id"])
    note = f"{t('reason_' + form.reason.value)}: {form.comment}"

    async def act(action_id: uuid.UUID) -> dict[str, Any]:
        if area is None:  # the tenant has no dispute area yet: a person classifies it
            customer = await upstream.customer(visit.tenant_id, visit.customer_id)
            title = t("task_dispute").format(name=customer["name"], number=number)[:200]
            asked = {"title": title, "description": note, "due_date": today_of(position).isoformat()}
            return {"task_id": (await task(upstream, visit, {**asked, **people_of(position, customer)}))["id"]}
        body: dict[str, Any] = {"kind": "dispute", "invoice_ids": [detail["invoice_id"]], "note": note}
        answer = await outcome(upstream, visit, {**body, "dispute_area_id": str(area)})
        return {"outcome_id": answer["id"], "dispute_area_id": answer["dispute_area_id"]}

    errors = await carry_out(session, visit, position, ActionKind.DISPUTE, detail, ("invoice_id", "comment"), act)
    return Result(errors)
