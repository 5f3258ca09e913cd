"""A run's communications by reference (issue 13: "the communication's content materialized later from a snapshot
id by messaging"): the run's commands name its dispatches; messaging's acceptance asks dunning for their content
(``POST /internal/dispatched-communications``), the same JSON the run built before, the customer's position read
when messaging asks (a payment recorded in between shows), with the real services. Dunning not answering leaves the
command to be taken again, nothing accepted; only services may ask."""

import uuid
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from messaging_service.delivery.dispatched import DunningUnavailable
from messaging_service.settings import MessagingSettings
from messaging_service.worker import HANDLERS as MESSAGING_HANDLERS
from shared.contracts.messaging import DISPATCHES_ASKED_AT_ONCE, Communication, SendDispatchedCommunications
from shared.identity import ADMIN, SERVICE, identity_headers
from shared.inbox import process_batch
from shared.internal import InternalClient
from shared.messages import Envelope
from shared.settings import ServiceSettings
from shared.worker import build_context, close_context
from tests.dunning.support import real_run
from tests.dunning.test_call_steps import deliver, portfolio
from tests.messaging.support import messages, routed_dunning
from tests.messaging.support import settings as messaging_settings
from tests.support import free_port

ASK = "http://dunning.test/internal/dispatched-communications"
FRIDAY = date(2025, 6, 6)  # three days past the portfolio's due date: od-1's email to the customer catches up


async def _commands(stack) -> list[dict[str, Any]]:
    async with stack.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT payload FROM dunning.outbox WHERE message_type = :t ORDER BY seq"),
            {"t": SendDispatchedCommunications.message_type},
        )
        return list(rows.scalars())


async def _accept(stack, envelope: dict[str, Any], dunning: InternalClient) -> int:
    """Messaging's inbox takes the command once, its client of dunning being ``dunning``."""
    ctx: dict[str, Any] = {"dunning": dunning}
    await build_context(ctx, messaging_settings(), "messaging", MESSAGING_HANDLERS)
    try:
        return await process_batch(ctx, ctx["sessionmaker"], "messaging", MESSAGING_HANDLERS, [envelope])
    finally:
        await close_context(ctx)


async def test_messaging_accepts_a_run_s_communications_with_the_content_dunning_builds(api, stack):
    tenant, _, customer = await portfolio(api, stack)
    run = await real_run(api, tenant.admin, FRIDAY)
    assert run["counts"]["communications"] == 1

    (command,) = await _commands(stack)
    async with stack.engine.connect() as conn:
        (dispatch,) = (
            await conn.execute(text("SELECT * FROM dunning.dispatches WHERE run_id = :r"), {"r": run["id"]})
        ).all()
    assert command == {"dispatch_ids": [str(dispatch.id)]}  # the command names the dispatch, no content
    envelope = Envelope.wrap(SendDispatchedCommunications.model_validate(command), tenant.id).model_dump(mode="json")

    # dunning does not answer: the command fails as a whole (arq takes it again later), nothing is accepted
    nowhere = InternalClient(httpx.AsyncClient(), MessagingSettings(dunning_url=f"http://127.0.0.1:{free_port()}"))
    try:
        with pytest.raises(DunningUnavailable):
            await _accept(stack, envelope, nowhere)
    finally:
        await nowhere.http.aclose()
    assert await messages(stack, tenant.id) == []

    # a payment of 500.00 on A-2 reaches dunning's projection between the run and the acceptance
    async with stack.engine.begin() as conn:
        await conn.execute(
            text("UPDATE dunning.invoices SET open_amount = 200.00 WHERE tenant_id = :t AND number = 'A-2'"),
            {"t": tenant.id},
        )

    # dunning answers: one message, the run's, its position read now, and the dispatch accepted in return
    dunning = routed_dunning(stack)
    try:
        assert await _accept(stack, envelope, dunning) == 1
        assert await _accept(stack, envelope, dunning) == 0  # a redelivered command: nothing twice
    finally:
        await dunning.http.aclose()
    (message,) = await messages(stack, tenant.id)
    content = Communication.model_validate(message.payload)
    assert (message.channel, message.to_address) == ("email", "pagos@norte.example")
    assert message.state in ("queued", "deferred"), message
    assert (content.source, content.source_ref, content.idempotency_key) == (
        "dunning",
        str(dispatch.id),
        dispatch.idempotency_key,
    )
    assert [(i.number, str(i.open_amount), i.days_overdue, i.triggered) for i in content.invoices] == [
        ("A-1", "1500.00", 3, True),
        ("A-2", "200.00", 3, True),
    ]
    assert [(t.currency, str(t.amount)) for t in content.totals] == [("ARS", "1700.00")]
    assert content.data == {
        "as_of": FRIDAY.isoformat(),
        "run_id": run["id"],
        "steps": {str(i): "od-1" for i in dispatch.invoice_ids},
    }
    assert content.customer is not None and str(content.customer.customer_id) == customer
    await deliver(stack, "messaging")  # its status back to dunning
    async with stack.engine.connect() as conn:
        state = (
            await conn.execute(text("SELECT state FROM dunning.dispatches WHERE id = :d"), {"d": dispatch.id})
        ).scalar_one()
    assert state == "accepted"


async def test_only_services_ask_for_a_run_s_communications_and_get_those_asked_in_order(api, stack):
    tenant, _, _ = await portfolio(api, stack)
    run = await real_run(api, tenant.admin, FRIDAY)
    (command,) = await _commands(stack)
    (dispatch_id,) = command["dispatch_ids"]
    secret = ServiceSettings().internal_secret
    service = identity_headers(secret, tenant.id, "service:messaging", [SERVICE])
    admin = identity_headers(secret, tenant.id, "user:someone", [ADMIN])
    stranger = identity_headers(secret, uuid.uuid4(), "service:messaging", [SERVICE])
    unknown = str(uuid.uuid4())
    transport = httpx.ASGITransport(stack.services["dunning"])
    async with httpx.AsyncClient(transport=transport) as http:
        asked = await http.post(ASK, json={"dispatch_ids": [unknown, dispatch_id, dispatch_id]}, headers=service)
        assert asked.status_code == 200, asked.text
        (built,) = asked.json()["communications"]  # the unknown one left out, the one asked twice built once
        assert (built["source_ref"], built["data"]["run_id"]) == (dispatch_id, run["id"])

        refused = await http.post(ASK, json={"dispatch_ids": [dispatch_id]}, headers=admin)
        assert refused.status_code == 403, refused.text
        other_tenant = await http.post(ASK, json={"dispatch_ids": [dispatch_id]}, headers=stranger)
        assert other_tenant.status_code == 200 and other_tenant.json() == {"communications": []}

        for bad in ([], [str(uuid.uuid4())] * (DISPATCHES_ASKED_AT_ONCE + 1), ["not-an-id"]):
            problem = await http.post(ASK, json={"dispatch_ids": bad}, headers=service)
            assert problem.status_code == 422, problem.text
            assert problem.headers["content-type"].startswith("application/problem+json")
            assert problem.json()["errors"][0]["field"].startswith("dispatch_ids"), problem.text
