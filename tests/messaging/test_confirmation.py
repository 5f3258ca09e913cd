"""The confirmation of what a customer did on the portal (issue 17): shipped in es/en/pt for every channel, saying
the action's details; transactional (outside the frequency cap), yet an opt-out still holds."""

import uuid
from datetime import date

import pytest

from messaging_service.delivery.rendering import render_communication
from messaging_service.templates.confirmation import ACTIONS
from messaging_service.templates.context import TenantView
from messaging_service.templates.samples import SAMPLE_PORTAL_LINK, SAMPLE_PROFILE
from shared.contracts.messaging import Communication
from tests.messaging.support import (
    communication,
    messages,
    messaging_tenant,
    run_messaging,
    send,
    set_channel,
    settings,
)

DATA = {
    "promise": {"promised_date": "15/12/2026", "amount": "US$ 500,00"},
    "payment_reported": {"amount": "US$ 800,00", "paid_on": "01/12/2026", "reference": "TRX-99"},
    "dispute": {"invoice_numbers": "A-3212", "reason": "Mercadería no recibida"},
    "call_requested": {"call_at": "09/12/2026 10:30", "phone": "+54 9 11 5555-1234"},
    "plan_requested": {"installments": "3", "amount": "US$ 1.200,00"},
}
# A word of each action's sentence, per language: the confirmation says what was recorded.
SAYS = {
    "es": {"promise": "promesa", "payment_reported": "aviso de pago", "dispute": "reclamo", "call_requested": "llam",
           "plan_requested": "plan de pagos"},
    "en": {"promise": "promise", "payment_reported": "payment notice", "dispute": "dispute", "call_requested": "call",
           "plan_requested": "payment plan"},
    "pt": {"promise": "promessa", "payment_reported": "aviso de pagamento", "dispute": "contestação",
           "call_requested": "ligação", "plan_requested": "parcelamento"},
}  # fmt: skip


def confirmation(action: str, channel: str = "email", language: str = "es", **extra) -> Communication:
    to = "pagos@cliente.example" if channel == "email" else "+5491155551234"
    base = communication(channel, to, kind="confirmation", language=language, tone=None, **extra)
    return base.model_copy(
        update={"data": {"action": action, "reference_code": "P-7F3A2C", **DATA[action]}, "source": "portal"}
    )


@pytest.mark.parametrize("language", ["es", "en", "pt"])
@pytest.mark.parametrize("channel", ["email", "sms", "whatsapp"])
def test_confirmations_render_every_action_in_three_languages(language, channel):
    view = TenantView(name="Nimbox", country="AR", profile=SAMPLE_PROFILE)
    for action in ACTIONS:
        rendered = render_communication(
            confirmation(action, channel, language),
            view,
            {},
            today=date(2026, 12, 7),
            unsubscribe_url=None,
            portal_link=SAMPLE_PORTAL_LINK,
        )
        assert rendered.template_ref == f"default:confirmation/{channel}/{language}/1"
        text = rendered.body_text
        assert SAYS[language][action] in (rendered.subject or text).lower(), (action, text)
        assert "Nimbox" in text and SAMPLE_PORTAL_LINK in text and "None" not in text
        if channel == "email":
            assert "P-7F3A2C" in text and rendered.body_html and SAMPLE_PORTAL_LINK in rendered.body_html
            for value in DATA[action].values():
                assert value in text
        if channel == "sms":
            assert len(text) < 300, text  # short: what was recorded, the link, how to stop
        if channel == "whatsapp":
            assert rendered.whatsapp and rendered.whatsapp["name"] == "cobranza_confirmation"
            assert rendered.whatsapp["parameters"][-1] == SAMPLE_PORTAL_LINK
    promise = render_communication(
        confirmation("promise", channel, language), view, {}, today=date(2026, 12, 7), unsubscribe_url=None
    )
    assert "15/12/2026" in promise.body_text and "/portal/" not in promise.body_text  # no link, no dangling label


async def test_a_confirmation_is_neither_held_by_nor_counted_against_the_frequency_cap(api, stack, mailbox):
    tenant = await messaging_tenant(api, stack)
    await set_channel(api, tenant, "email", frequency_cap={"max_messages": 1, "window_days": 7})
    worker = settings(smtp_port=mailbox.port)
    first, second = uuid.uuid4(), uuid.uuid4()
    for batch in (
        [communication(customer_id=first)],
        [confirmation("promise", customer_id=first), confirmation("dispute", customer_id=second)],
        [communication(customer_id=second)],
        [communication(customer_id=first, key="second-reminder")],
    ):
        await send(stack, tenant.id, batch)
        await run_messaging(worker)

    rows = await messages(stack, tenant.id)
    held = {(r.customer_id, r.kind, r.idempotency_key == "second-reminder"): r.deferred_reason for r in rows}
    assert held == {
        (first, "overdue", False): None,
        (first, "confirmation", False): None,  # over the cap, yet it goes: the customer asked for it
        (second, "confirmation", False): None,
        (second, "overdue", False): None,  # the confirmation took no place of the cap
        (first, "overdue", True): "frequency_cap",  # the cap holds for reminders
    }
    assert all(r.source == "portal" for r in rows if r.kind == "confirmation")
    assert len(mailbox.messages()) == 4


async def test_an_opted_out_address_gets_no_confirmation(api, stack):
    tenant = await messaging_tenant(api, stack)
    opted = await api.post(
        "/v1/opt-out", json={"channel": "email", "address": "pagos@cliente.example"}, headers=tenant.admin
    )
    assert opted.status_code == 201, opted.text
    await send(stack, tenant.id, [confirmation("payment_reported")])
    await run_messaging(settings())
    (row,) = await messages(stack, tenant.id)
    assert (row.state, row.error_code) == ("failed", "opted_out")
