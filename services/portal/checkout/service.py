"""Paying online (issue 17, "Pay online"): a checkout for the invoices the debtor chose, made at the provider, and
what the provider's payment then does to them in receivables.

Only a payment fetched from the provider is acted on; a notification or the debtor's return only says which one to
fetch. Each payment is applied under a row lock on its checkout, and recorded in receivables with the external id
``psp:<payment id>``: repeated and concurrent notifications make one payment, whatever order they come in."""

import dataclasses
import uuid
from datetime import UTC, datetime
from typing import Any

import structlog
from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from services.portal.audit import repository as audit_actions
from services.portal.audit import service as audit
from services.portal.audit.schemas import ActionKind
from services.portal.checkout import repository
from services.portal.checkout.client import CheckoutClient, CheckoutConfig, PaymentProviderError
from services.portal.checkout.repository import CheckoutRow
from services.portal.checkout.rules import Choice, PaymentOutcome, Step, next_step
from services.portal.checkout.schemas import BackUrls, Payer, Payment, PreferenceItem, PreferenceRequest
from services.portal.settings import PortalSettings
from services.portal.upstream import Refused, Upstream
from services.portal.visits.service import Visit
from shared.problems import BadGateway

log = structlog.get_logger()

NOTIFICATIONS_PATH = "/portal/psp/notifications"
_STATE_OF_STEP = {Step.RECORD: "paid", Step.REVERSE: "reversed", Step.PENDING: "pending", Step.FAILED: "failed"}


def checkout_client(request: Request) -> CheckoutClient:
    """The provider as this request's settings name it (tests replace ``app.state.settings``)."""
    settings: PortalSettings = request.app.state.settings
    config = CheckoutConfig(settings.psp_base_url, settings.psp_access_token, settings.psp_timeout_seconds)
    return CheckoutClient(request.app.state.http, config)


def payer_email(customer: dict[str, Any]) -> str | None:
    """The customer's first usable email, so the checkout need not ask for it."""
    for contact in customer.get("contacts") or []:
        if contact.get("channel") == "email" and not contact.get("invalid"):
            return str(contact["address"])
    return None


async def start(
    session: AsyncSession,
    client: CheckoutClient,
    settings: PortalSettings,
    visit: Visit,
    choice: Choice,
    *,
    item_title: str,
    email: str | None,
) -> str:
    """Make the provider's preference for ``choice`` and keep its checkout; the URL to send the browser to. The row
    is written only once the provider made the preference: a failure leaves no checkout (only the audit's entry)."""
    checkout_id = uuid.uuid4()
    detail = {
        "checkout_id": str(checkout_id),
        "invoice_ids": [str(line["invoice_id"]) for line in choice.lines],
        "amount": str(choice.amount),
        "currency": choice.currency,
    }
    action_id = await audit.record(session, visit, ActionKind.CHECKOUT_STARTED, detail)
    public = settings.public_base()
    back = f"{public}{visit.base}/pay/return?checkout={checkout_id}"
    preference_request = PreferenceRequest(
        items=[
            PreferenceItem(
                title=item_title.format(number=line["number"]),
                unit_price=line["open_amount"],
                currency_id=choice.currency,
            )
            for line in choice.lines
        ],
        payer=Payer(email=email) if email else None,
        external_reference=str(checkout_id),
        notification_url=public + NOTIFICATIONS_PATH,
        back_urls=BackUrls(success=back, pending=back, failure=back),
    )
    try:
        preference = await client.create_preference(preference_request, idempotency_key=str(checkout_id))
    except PaymentProviderError as exc:
        await audit.done(session, visit, action_id, {"error": str(exc), "provider_status": exc.provider_status})
        raise
    await repository.insert_checkout(
        session,
        visit.tenant_id,
        checkout_id,
        link_id=visit.link_id,
        customer_id=visit.customer_id,
        invoice_ids=[uuid.UUID(str(line["invoice_id"])) for line in choice.lines],
        amount=choice.amount,
        currency=choice.currency,
        preference_id=preference.id,
        init_point=preference.init_point,
    )
    await audit.done(session, visit, action_id, {"checkout_id": str(checkout_id), "preference_id": preference.id})
    return preference.init_point


async def apply_payment(
    session: AsyncSession, upstream: Upstream, payment: Payment, *, address: str | None, user_agent: str | None
) -> CheckoutRow | None:
    """What ``payment`` (as fetched from the provider) does to the checkout it names; the checkout as it is now,
    or None when the payment names none of ours."""
    checkout_id = as_uuid(payment.external_reference)
    row = await repository.lock_checkout(session, checkout_id) if checkout_id else None
    if row is None:
        log.warning("psp_payment_without_checkout", payment_id=payment.id, reference=payment.external_reference)
        return None
    outcome = payment.outcome
    if outcome is None:
        log.warning("psp_payment_status_unknown", payment_id=payment.id, status=payment.status)
        return row
    step = next_step(row.state, row.provider_payment_id, payment.id, outcome)
    if step is Step.KEEP and outcome is PaymentOutcome.PAID and row.provider_payment_id != payment.id:
        # Money taken twice for one checkout: a person must refund or apply it (it is not recorded twice).
        log.error("psp_second_payment_for_checkout", checkout_id=str(row.id), payment_id=payment.id)
    values: dict[str, Any] = {}
    if step is Step.RECORD:
        values["payment_id"] = await _record_payment(upstream, row, payment)
    elif step is Step.REVERSE:
        assert row.payment_id is not None  # a paid checkout names its payment
        await _reverse_payment(upstream, row, payment)
    if step is not Step.KEEP:
        values |= {"state": _STATE_OF_STEP[step], "provider_payment_id": payment.id, "provider_status": payment.status}
        await repository.set_outcome(session, row, **values)
        row = dataclasses.replace(row, **values)
    await audit_actions.insert_action(
        session,
        row.tenant_id,
        link_id=row.link_id,
        customer_id=row.customer_id,
        kind=ActionKind.PAYMENT_NOTIFIED.value,
        detail={"checkout_id": str(row.id), "provider_payment_id": payment.id, "status": payment.status},
        result={"step": step.value, "state": row.state, "payment_id": str(row.payment_id) if row.payment_id else None},
        ip=address,
        user_agent=user_agent,
    )
    return row


async def _record_payment(upstream: Upstream, row: CheckoutRow, payment: Payment) -> uuid.UUID:
    """The payment in receivables, allocated to the chosen invoices; the one already made for this provider's
    payment when there is one (a transaction of ours that failed after receivables had answered)."""
    external_id = f"psp:{payment.id}"
    paid_on = (payment.date_approved or datetime.now(UTC)).date()
    body: dict[str, Any] = {
        "customer_id": str(row.customer_id),
        "external_id": external_id,
        "currency": payment.currency_id,
        "amount": str(payment.transaction_amount),
        "payment_date": paid_on.isoformat(),
        "reference": f"Pago en línea {payment.id}",
        "invoices": [{"invoice_id": str(invoice_id)} for invoice_id in row.invoice_ids],
    }
    try:
        answer = await upstream.post_json("receivables", "/v1/payments", row.tenant_id, body)
    except Refused as refused:
        if refused.status == 409:
            return await _existing_payment(upstream, row, external_id)
        if refused.status != 422:
            raise BadGateway(f"receivables refused the payment: {refused.detail}", service="receivables") from None
        # The chosen invoices were settled meanwhile (paid another way): the money still lands, oldest open first
        # or as the customer's credit.
        log.warning("psp_payment_allocations_refused", checkout_id=str(row.id), problem=refused.problem)
        answer = await upstream.post_json("receivables", "/v1/payments", row.tenant_id, {**body, "invoices": None})
    return uuid.UUID(answer["id"])


async def _existing_payment(upstream: Upstream, row: CheckoutRow, external_id: str) -> uuid.UUID:
    page = await upstream.get_json("receivables", "/v1/payments", row.tenant_id, customer_id=str(row.customer_id))
    for item in page["items"]:
        if item.get("external_id") == external_id:
            return uuid.UUID(item["id"])
    raise BadGateway(f"receivables has payment {external_id} but did not list it", service="receivables")


async def _reverse_payment(upstream: Upstream, row: CheckoutRow, payment: Payment) -> None:
    path = f"/v1/payments/{row.payment_id}/reverse"
    try:
        await upstream.post_json("receivables", path, row.tenant_id, {"reason": f"Pago en línea {payment.status}"})
    except Refused as refused:
        if refused.status != 409:  # 409: already reversed
            raise BadGateway(f"receivables refused the reversal: {refused.detail}", service="receivables") from None


async def settle_on_return(
    session: AsyncSession,
    upstream: Upstream,
    client: CheckoutClient,
    row: CheckoutRow,
    payment_id: str,
    address: str | None,
    user_agent: str | None,
) -> CheckoutRow:
    """The debtor came back before the notification: the payment the provider's query names, fetched and applied
    when it is this checkout's. A provider that does not answer leaves the checkout as it is (the notification
    will come)."""
    try:
        payment = await client.fetch_payment(payment_id)
    except PaymentProviderError as exc:
        log.warning("psp_payment_fetch_failed", checkout_id=str(row.id), error=str(exc))
        return row
    if payment.external_reference != str(row.id):
        log.warning("psp_return_names_another_payment", checkout_id=str(row.id), payment_id=payment.id)
        return row
    return await apply_payment(session, upstream, payment, address=address, user_agent=user_agent) or row


def as_uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None
