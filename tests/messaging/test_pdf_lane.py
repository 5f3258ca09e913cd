"""Emails that attach a PDF statement (issue 12 point 2, seed 004 principle 4) are sent in their own lane, a few per
batch, so they never slow SMS, WhatsApp or plain emails, of their tenant or another's (issue 11's noisy neighbour);
and one tenant's many PDFs take turns with another tenant's few. Bounded by counts, never by time."""

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker

from messaging_service.delivery import dispatch, queue
from messaging_service.delivery.acceptance import accept
from messaging_service.delivery.statement import needs_pdf
from messaging_service.templates.context import TenantView
from shared.db import unit_of_work
from tests.messaging.support import communication, deliver, messages, messaging_tenant, settings


async def accepted(stack, tenant_id: uuid.UUID, communications: list) -> None:
    """Accept communications as the handler does, without starting a deliver job (the test claims itself)."""
    async with unit_of_work(async_sessionmaker(stack.engine)) as session:
        await accept(session, settings(), tenant_id, communications, datetime.now(UTC))


async def claim(stack, limit: int, *, pdf: bool) -> list[Any]:
    async with unit_of_work(async_sessionmaker(stack.engine)) as session:
        return await queue.claim_due(session, limit, pdf=pdf)


def pdf_emails(count: int) -> list:
    return [communication(to=f"pagos{i}@a.example", attach_statement=True) for i in range(count)]


def plain(count_sms: int, count_email: int) -> list:
    sms = [communication("sms", f"+54 9 11 5555-{i:04d}", attach_statement=False) for i in range(count_sms)]
    emails = [communication(to=f"pagos{i}@b.example", attach_statement=False) for i in range(count_email)]
    return sms + emails


def test_a_message_needs_a_pdf_only_as_an_email_with_the_statement_in_a_tenant_that_wants_pdf():
    default = TenantView(name="T")  # pdf and csv
    csv_only = TenantView(name="T", profile={"statement_formats": ["csv", "html"]})
    assert needs_pdf("email", True, default)
    assert not needs_pdf("email", False, default)
    assert not needs_pdf("sms", True, default)
    assert not needs_pdf("whatsapp", True, default)
    assert not needs_pdf("email", True, csv_only)


async def test_acceptance_marks_the_messages_that_will_render_a_pdf(api, stack):
    a = await messaging_tenant(api, stack)
    b = await messaging_tenant(api, stack)
    response = await api.patch(
        "/v1/messaging-settings", json={"profile": {"statement_formats": ["csv"]}}, headers=b.admin
    )
    assert response.status_code == 200, response.text
    await accepted(stack, a.id, pdf_emails(2) + plain(1, 1))
    await accepted(stack, b.id, pdf_emails(1))
    flags = sorted((row.channel, row.to_address, row.needs_pdf) for row in await messages(stack, a.id))
    assert flags == [
        ("email", "pagos0@a.example", True),
        ("email", "pagos0@b.example", False),
        ("email", "pagos1@a.example", True),
        ("sms", "+5491155550000", False),
    ]
    assert [row.needs_pdf for row in await messages(stack, b.id)] == [False]  # this tenant sends no PDF


async def test_a_full_batch_of_other_messages_is_claimed_while_older_pdf_emails_wait(api, stack):
    a = await messaging_tenant(api, stack)
    b = await messaging_tenant(api, stack)
    await accepted(stack, a.id, pdf_emails(12))  # older: claimed first if one queue held them all
    await accepted(stack, b.id, plain(20, 10))

    others = await claim(stack, 30, pdf=False)
    assert len(others) == 30 and {row.tenant_id for row in others} == {b.id}
    assert not any(row.needs_pdf for row in others)
    pdfs = await claim(stack, 5, pdf=True)
    assert len(pdfs) == 5 and {row.tenant_id for row in pdfs} == {a.id}
    assert await claim(stack, 30, pdf=False) == []


async def test_one_tenants_thousands_of_pdfs_take_turns_with_anothers_few(api, stack):
    """Tenant A queued 12 PDF emails before tenant C queued 2: C's go in A's first batch, not after all of A's."""
    a = await messaging_tenant(api, stack)
    c = await messaging_tenant(api, stack)
    await accepted(stack, a.id, pdf_emails(12))
    await accepted(stack, c.id, pdf_emails(2))

    first = await claim(stack, 4, pdf=True)
    assert sorted(str(row.tenant_id == c.id) for row in first) == ["False", "False", "True", "True"]
    second = await claim(stack, 4, pdf=True)
    assert {row.tenant_id for row in second} == {a.id}


async def test_one_deliver_round_sends_all_other_messages_in_one_full_batch_while_pdfs_go_capped(
    api, stack, mailbox, provider, monkeypatch
):
    """Tenant A's PDF emails are queued first; tenant B's SMS and plain emails fill one batch of their own, and
    every PDF batch holds at most the PDF cap. The claims are watched (the real ones, on the real database)."""
    a = await messaging_tenant(api, stack)
    b = await messaging_tenant(api, stack)
    await accepted(stack, a.id, pdf_emails(12))
    await accepted(stack, b.id, plain(20, 10))
    claims: list[tuple[bool, list[Any]]] = []
    real_claim = queue.claim_due

    async def watched(session, limit, *, pdf=False):
        rows = await real_claim(session, limit, pdf=pdf)
        if rows:
            claims.append((pdf, rows))
        return rows

    monkeypatch.setattr(queue, "claim_due", watched)
    monkeypatch.setattr(dispatch, "pdf_batch_limit", lambda _settings: 5)
    await deliver(stack, settings(smtp_port=mailbox.port, provider_url=provider.url, delivery_batch_size=30))

    other_batches = [rows for pdf, rows in claims if not pdf]
    assert len(other_batches) == 1  # all of B's in one batch, not shrunk to the PDF pace
    assert {row.tenant_id for row in other_batches[0]} == {b.id} and len(other_batches[0]) == 30
    pdf_batches = [rows for pdf, rows in claims if pdf]
    assert [len(rows) for rows in pdf_batches] == [5, 5, 2]
    assert all(row.tenant_id == a.id for rows in pdf_batches for row in rows)
    assert {row.state for row in await messages(stack)} == {"sent"}
    assert len(provider.requests("sms")) == 20
    assert len(mailbox.messages()) == 22
