"""Pay online (issue 17, point 3; seed 003: the portal "para que el cliente abone en forma online su deuda"): the
debtor chooses invoices, the checkout is made at the PSP stub (its own process on loopback), the stub's signed
notification goes over HTTP to the test stack's gateway on a real port and on to the portal, which fetches the
payment and applies it in receivables: paid, pending, rejected, forged, repeated, refunded."""

import asyncio
import hashlib
import hmac
import re
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import text

from services.portal.checkout.rules import (
    ChoiceProblem,
    PaymentOutcome,
    Step,
    choose,
    next_step,
    payable_lines,
)
from tests.portal.test_checkout import SECRET, TOKEN
from tests.portal.test_page import CUSTOMER, make_link, path_of
from tests.support import create_tenant


@dataclass
class Debtor:
    """A tenant with one customer holding two invoices, its portal path, and the stub."""

    api: httpx.AsyncClient
    http: httpx.AsyncClient
    stack: Any
    psp: str
    gateway: str
    admin: dict[str, str]
    customer_id: str
    invoices: list[dict[str, Any]]
    path: str

    async def stub(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self.http.request(method, self.psp + path, **kwargs)

    async def csrf(self) -> str:
        form = await self.api.get(self.path + "/pay")
        assert form.status_code == 200, form.text
        found = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert found
        return found.group(1)

    async def choose(self, *invoice_ids: str) -> httpx.Response:
        data = {"csrf": await self.csrf(), "invoice_ids": list(invoice_ids)}
        return await self.api.post(self.path + "/pay", data=data)

    async def checkout(self, *invoice_ids: str) -> dict[str, Any]:
        """A checkout for the invoices; the row, with the preference the stub made."""
        answer = await self.choose(*invoice_ids)
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"].startswith(self.psp + "/checkout/v1/redirect")
        (row,) = await self.checkouts()
        assert answer.headers["location"] == row["init_point"]
        return row

    async def checkouts(self) -> list[dict[str, Any]]:
        async with self.stack.engine.connect() as conn:
            rows = await conn.execute(text("SELECT * FROM portal.checkouts ORDER BY created_at"))
            return [dict(row) for row in rows.mappings()]

    async def pay_at_stub(self, preference_id: str, status: str, payment_id: int | None = None) -> dict[str, Any]:
        """The stub's control route: a payment made (or changed) and its notification sent, awaited."""
        body = {"status": status, "payment_id": payment_id}
        answer = await self.stub("POST", f"/_stub/payments/{preference_id}", json=body)
        assert answer.status_code == 201, answer.text
        result: dict[str, Any] = answer.json()
        return result

    async def result_page(self, checkout_id: Any = None, **query: Any) -> tuple[str, httpx.Response]:
        params = {"checkout": str(checkout_id), **query} if checkout_id else query
        page = await self.api.get(self.path + "/pay/return", params=params)
        assert page.status_code == 200, page.text
        found = re.search(r'<section id="payment-result"[^>]*data-state="(\w+)"', page.text)
        assert found, page.text
        return found.group(1), page

    async def notifications(self, count: int, seconds: float = 10.0) -> list[dict[str, Any]]:
        """The stub's notifications once ``count`` were sent (the checkout page notifies in the background)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            sent: list[dict[str, Any]] = (await self.stub("GET", "/_stub/requests")).json()["notifications"]
            if len(sent) >= count:
                return sent
            await asyncio.sleep(0.05)
        raise AssertionError(f"the stub sent fewer than {count} notifications")

    async def invoice(self, number: int) -> dict[str, Any]:
        answer = await self.api.get(f"/v1/invoices/{self.invoices[number]['id']}", headers=self.admin)
        result: dict[str, Any] = answer.json()
        return result

    async def payments(self) -> list[dict[str, Any]]:
        answer = await self.api.get("/v1/payments", params={"customer_id": self.customer_id}, headers=self.admin)
        items: list[dict[str, Any]] = answer.json()["items"]
        return items

    async def actions(self, kind: str) -> list[dict[str, Any]]:
        answer = await self.api.get("/v1/portal-actions", params={"kind": kind}, headers=self.admin)
        items: list[dict[str, Any]] = answer.json()["items"]
        return items


async def _invoice(api, headers, customer_id, number, amount, currency="ARS", kind="invoice") -> dict[str, Any]:
    body = {
        "customer_id": customer_id,
        "external_id": f"F-{number}",
        "number": number,
        "kind": kind,
        "currency": currency,
        "amount": amount,
        "issue_date": "2026-10-01",
        "due_date": "2026-11-01",
    }
    created = await api.post("/v1/invoices", json=body, headers=headers)
    assert created.status_code == 201, created.text
    result: dict[str, Any] = created.json()
    return result


@pytest.fixture
async def debtor(api, stack, psp_url, gateway_url) -> AsyncIterator[Debtor]:
    portal = stack.services["portal"]
    original = portal.state.settings
    portal.state.settings = original.model_copy(
        update={
            "psp_base_url": psp_url,
            "psp_access_token": TOKEN,
            "psp_webhook_secret": SECRET,
            "public_base_url": gateway_url,
        }
    )
    async with httpx.AsyncClient(timeout=20) as http:
        assert (await http.delete(psp_url + "/_stub/requests")).status_code == 204
        await http.post(psp_url + "/_stub/config", json={"notification_retries": 0})
        tenant = await create_tenant(api)
        contacts = [{"channel": "email", "address": "pagos@losandes.example"}]
        customer = (
            await api.post("/v1/customers", json={**CUSTOMER, "contacts": contacts}, headers=tenant.admin)
        ).json()
        invoices = [
            await _invoice(api, tenant.admin, customer["id"], "A-0001-00000451", "85000.00"),
            await _invoice(api, tenant.admin, customer["id"], "A-0001-00000452", "12000.50"),
        ]
        link = await make_link(api, tenant.admin, customer["id"])
        try:
            yield Debtor(
                api, http, stack, psp_url, gateway_url, tenant.admin, customer["id"], invoices, path_of(link["url"])
            )
        finally:
            portal.state.settings = original


def signed(data_id: str, *, ts: int | None = None, secret: str = SECRET) -> dict[str, str]:
    """The headers Mercado Pago signs a notification with (the manifest of rules.signature_manifest)."""
    request_id, stamp = str(uuid.uuid4()), str(ts if ts is not None else int(time.time()))
    manifest = f"id:{data_id};request-id:{request_id};ts:{stamp};"
    v1 = hmac.new(secret.encode(), manifest.encode(), hashlib.sha256).hexdigest()
    return {"x-signature": f"ts={stamp},v1={v1}", "x-request-id": request_id}


async def notify(debtor: Debtor, payment_id: Any, headers: dict[str, str]) -> httpx.Response:
    """A notification posted to the gateway's real port, as the provider would."""
    url = debtor.gateway + "/portal/psp/notifications"
    params = {"data.id": str(payment_id), "type": "payment"}
    body = {"action": "payment.updated", "type": "payment", "data": {"id": str(payment_id)}}
    return await debtor.http.post(url, params=params, json=body, headers=headers)


# ---- through the stub, the gateway's port and the portal --------------------------------------------------------


async def test_paying_one_of_two_invoices_pays_it_in_receivables_and_the_page_says_paid(debtor: Debtor):
    form = await debtor.api.get(debtor.path + "/pay")
    assert 'id="invoice-A-0001-00000451"' in form.text and 'id="invoice-A-0001-00000452"' in form.text
    assert f'value="{debtor.invoices[0]["id"]}"' in form.text and "85.000,00" in form.text

    row = await debtor.checkout(debtor.invoices[0]["id"])
    assert row["state"] == "created" and row["amount"] == Decimal("85000.00") and row["currency"] == "ARS"
    (sent,) = (await debtor.stub("GET", "/_stub/requests", params={"route": "preferences"})).json()["requests"]
    assert sent["idempotency_key"] == str(row["id"]) and sent["body"]["external_reference"] == str(row["id"])
    assert sent["body"]["notification_url"] == debtor.gateway + "/portal/psp/notifications"
    assert sent["body"]["back_urls"]["success"] == f"{debtor.gateway}{debtor.path}/pay/return?checkout={row['id']}"
    assert sent["body"]["payer"] == {"email": "pagos@losandes.example"}
    assert [i["unit_price"] for i in sent["body"]["items"]] == [85000.0]

    result = await debtor.pay_at_stub(row["preference_id"], "approved")

    assert result["notification"]["answer"] == 200  # stub -> HTTP -> gateway -> portal, answered
    (payment,) = await debtor.payments()
    assert payment["external_id"] == f"psp:{result['payment']['id']}" and Decimal(payment["amount"]) == 85000
    assert [(a["invoice_id"], Decimal(a["amount"])) for a in payment["allocations"]] == [
        (debtor.invoices[0]["id"], Decimal("85000.00"))
    ]
    assert (await debtor.invoice(0))["status"] == "paid"
    assert Decimal((await debtor.invoice(1))["open_amount"]) == Decimal("12000.50")
    state, page = await debtor.result_page(row["id"])
    assert state == "paid" and "85.000,00" in page.text
    (notified,) = await debtor.actions("payment_notified")
    assert notified["result"]["state"] == "paid" and notified["result"]["payment_id"] == payment["id"]
    (started,) = await debtor.actions("checkout_started")
    assert started["result"] == {"checkout_id": str(row["id"]), "preference_id": row["preference_id"]}


async def test_paying_on_the_stubs_page_brings_the_browser_back_to_paid(debtor: Debtor):
    row = await debtor.checkout(debtor.invoices[1]["id"])
    page = await debtor.http.get(row["init_point"])
    assert page.status_code == 200 and "12000.5" in page.text

    back = await debtor.http.post(
        debtor.psp + "/checkout/v1/pay", data={"pref_id": row["preference_id"], "status": "approved"}
    )
    assert back.status_code == 303 and back.headers["location"].startswith(debtor.gateway + debtor.path)
    query = {k: v[0] for k, v in parse_qs(urlsplit(back.headers["location"]).query).items()}
    state, _ = await debtor.result_page(**query)  # the return fetches the payment if the notification is late

    assert state == "paid"
    assert (await debtor.invoice(1))["status"] == "paid" and len(await debtor.payments()) == 1
    notified = await debtor.notifications(1)  # the stub's own notification, sent meanwhile, changes nothing
    assert notified[0]["answer"] == 200 and len(await debtor.payments()) == 1


async def test_a_rejected_payment_is_shown_failed_and_the_invoice_stays_open(debtor: Debtor):
    row = await debtor.checkout(debtor.invoices[0]["id"])

    result = await debtor.pay_at_stub(row["preference_id"], "rejected")

    assert result["notification"]["answer"] == 200
    state, page = await debtor.result_page(row["id"])
    assert state == "failed" and f'href="{debtor.path}/pay"' in page.text
    assert await debtor.payments() == []
    assert (await debtor.invoice(0))["status"] != "paid"
    assert Decimal((await debtor.invoice(0))["open_amount"]) == Decimal("85000.00")


async def test_a_pending_payment_is_shown_pending_then_paid_when_approved(debtor: Debtor):
    row = await debtor.checkout(debtor.invoices[0]["id"], debtor.invoices[1]["id"])
    assert row["amount"] == Decimal("97000.50")

    pending = await debtor.pay_at_stub(row["preference_id"], "pending")

    assert (await debtor.result_page(row["id"]))[0] == "pending" and await debtor.payments() == []
    await debtor.pay_at_stub(row["preference_id"], "approved", payment_id=pending["payment"]["id"])
    assert (await debtor.result_page(row["id"]))[0] == "paid"
    (payment,) = await debtor.payments()
    assert {a["invoice_id"] for a in payment["allocations"]} == {i["id"] for i in debtor.invoices}


async def test_a_forged_or_stale_notification_is_refused_and_changes_nothing(debtor: Debtor):
    row = await debtor.checkout(debtor.invoices[0]["id"])
    await debtor.stub("POST", "/_stub/faults", json={"mode": "bad_signature", "times": 1})

    forged = await debtor.pay_at_stub(row["preference_id"], "approved")
    payment_id = forged["payment"]["id"]
    stale = await notify(debtor, payment_id, signed(str(payment_id), ts=int(time.time()) - 3600))
    unsigned = await notify(debtor, payment_id, {})

    assert forged["notification"]["answer"] == 401
    for refused in (stale, unsigned):
        assert refused.status_code == 401 and refused.headers["content-type"] == "application/problem+json"
    assert stale.json()["reason"] == "stale" and unsigned.json()["reason"] == "malformed"
    assert (await debtor.checkouts())[0]["state"] == "created"
    assert await debtor.payments() == [] and await debtor.actions("payment_notified") == []
    fetched = (await debtor.stub("GET", "/_stub/requests", params={"route": "payments"})).json()["requests"]
    assert fetched == []  # a refused notification is not even acted on by fetching


async def test_repeated_and_concurrent_notifications_make_one_payment(debtor: Debtor):
    row = await debtor.checkout(debtor.invoices[0]["id"])
    await debtor.stub("POST", "/_stub/faults", json={"mode": "bad_signature", "times": 1})
    payment_id = (await debtor.pay_at_stub(row["preference_id"], "approved"))["payment"]["id"]

    answers = await asyncio.gather(*(notify(debtor, payment_id, signed(str(payment_id))) for _ in range(4)))
    again = await notify(debtor, payment_id, signed(str(payment_id)))

    assert [a.status_code for a in (*answers, again)] == [200] * 5
    assert {a.json()["state"] for a in (*answers, again)} == {"paid"}
    (payment,) = await debtor.payments()
    assert payment["external_id"] == f"psp:{payment_id}"
    steps = sorted(a["result"]["step"] for a in await debtor.actions("payment_notified"))
    assert steps == ["keep"] * 4 + ["record"]


async def test_a_refund_reverses_the_payment_and_the_invoice_is_owed_again(debtor: Debtor):
    row = await debtor.checkout(debtor.invoices[0]["id"])
    payment_id = (await debtor.pay_at_stub(row["preference_id"], "approved"))["payment"]["id"]
    assert (await debtor.invoice(0))["status"] == "paid"

    refund = await debtor.pay_at_stub(row["preference_id"], "refunded", payment_id=payment_id)

    assert refund["notification"]["answer"] == 200
    (payment,) = await debtor.payments()
    assert payment["status"] == "reversed"
    assert Decimal((await debtor.invoice(0))["open_amount"]) == Decimal("85000.00")
    assert (await debtor.result_page(row["id"]))[0] == "reversed"
    refund_again = await notify(debtor, payment_id, signed(str(payment_id)))
    assert refund_again.json()["state"] == "reversed" and len(await debtor.payments()) == 1


# ---- the form ---------------------------------------------------------------------------------------------------


async def test_the_form_refuses_no_invoice_a_foreign_one_and_two_currencies(debtor: Debtor):
    dollars = await _invoice(debtor.api, debtor.admin, debtor.customer_id, "E-0001-00000007", "900.00", "USD")
    credit = await _invoice(
        debtor.api, debtor.admin, debtor.customer_id, "NC-0001-00000003", "100.00", kind="credit_note"
    )

    reported = {"status": "payment_reported", "reason": "Transferencia"}
    answer = await debtor.api.post(
        f"/v1/invoices/{debtor.invoices[1]['id']}/status", json=reported, headers=debtor.admin
    )
    assert answer.status_code == 200, answer.text

    form = await debtor.api.get(debtor.path + "/pay")
    assert 'id="invoice-E-0001-00000007"' in form.text and f'value="{credit["id"]}"' not in form.text
    assert 'id="invoice-A-0001-00000452"' not in form.text  # paused: a payment was reported for it
    answers = {
        "none": await debtor.choose(),
        "foreign": await debtor.choose(str(uuid.uuid4())),
        "credit": await debtor.choose(credit["id"]),
        "paused": await debtor.choose(debtor.invoices[1]["id"]),
        "mixed": await debtor.choose(debtor.invoices[0]["id"], dollars["id"]),
    }

    for answer in answers.values():
        assert answer.status_code == 422 and 'id="error-invoice_ids"' in answer.text
        assert 'aria-describedby="error-invoice_ids"' in answer.text
    assert "una sola moneda" in answers["mixed"].text
    assert re.search(rf'value="{dollars["id"]}"\s*checked', answers["mixed"].text)  # the choice is kept
    assert await debtor.checkouts() == [] and await debtor.stub("GET", "/_stub/requests") is not None
    assert (await debtor.stub("GET", "/_stub/requests")).json()["requests"] == []


async def test_a_provider_failure_is_a_friendly_page_and_leaves_no_checkout(debtor: Debtor):
    await debtor.stub("POST", "/_stub/faults", json={"mode": "http_500", "route": "preferences", "times": 1})

    answer = await debtor.choose(debtor.invoices[0]["id"])

    assert answer.status_code == 200 and 'id="error-provider"' in answer.text
    assert "no respondió" in answer.text and 'id="submit"' in answer.text
    assert await debtor.checkouts() == []
    (started,) = await debtor.actions("checkout_started")
    assert started["result"]["provider_status"] == 500
    assert (await debtor.checkout(debtor.invoices[0]["id"]))["state"] == "created"  # and it works again


async def test_another_customers_checkout_is_not_shown(debtor: Debtor):
    row = await debtor.checkout(debtor.invoices[0]["id"])
    other = (
        await debtor.api.post("/v1/customers", json={**CUSTOMER, "external_id": "C-2"}, headers=debtor.admin)
    ).json()
    link = await make_link(debtor.api, debtor.admin, other["id"])

    page = await debtor.api.get(path_of(link["url"]) + "/pay/return", params={"checkout": str(row["id"])})

    assert page.status_code == 404 and "payment-result" not in page.text


# ---- the rules --------------------------------------------------------------------------------------------------


def _line(number: str, currency: str = "ARS", **extra: Any) -> dict[str, Any]:
    return {"invoice_id": f"id-{number}", "number": number, "currency": currency, "open_amount": "10.00", **extra}


def test_open_invoices_are_payable_but_one_whose_payment_was_reported():
    """Seed 000: a promise is kept by paying and a dispute pauses reminders, not payments."""
    lines = [
        _line("1"),
        _line("2", kind="credit_note"),
        _line("3", status="promise_to_pay", demanded=False),
        _line("4", open_amount="0.00"),
        _line("5", status="dispute"),
        _line("6", status="payment_reported"),
        _line("7", status="promise_to_pay"),
        _line("8", status="normal"),
    ]
    assert [line["number"] for line in payable_lines(lines)] == ["1", "3", "5", "7", "8"]


def test_a_choice_is_one_currency_of_payable_invoices():
    payable = [_line("1"), _line("2"), _line("3", "USD")]
    choice = choose(payable, ["id-2", "id-1", " "])
    assert not isinstance(choice, ChoiceProblem)
    assert [line["number"] for line in choice.lines] == ["1", "2"] and choice.amount == Decimal("20.00")
    assert choose(payable, []) is ChoiceProblem.NONE_CHOSEN
    assert choose(payable, ["id-9"]) is ChoiceProblem.NOT_PAYABLE
    assert choose(payable, ["id-1", "id-3"]) is ChoiceProblem.MIXED_CURRENCIES


@pytest.mark.parametrize(
    ("state", "paid_by", "outcome", "step"),
    [
        ("created", None, PaymentOutcome.PAID, Step.RECORD),
        ("pending", "7", PaymentOutcome.PAID, Step.RECORD),
        ("failed", "6", PaymentOutcome.PAID, Step.RECORD),  # a second attempt on the same checkout
        ("paid", "7", PaymentOutcome.PAID, Step.KEEP),  # a repeated notification
        ("paid", "6", PaymentOutcome.FAILED, Step.KEEP),  # another attempt after it was paid
        ("paid", "6", PaymentOutcome.PAID, Step.KEEP),  # never two payments for one checkout
        ("paid", "7", PaymentOutcome.REVERSED, Step.REVERSE),
        ("reversed", "7", PaymentOutcome.REVERSED, Step.KEEP),
        ("created", None, PaymentOutcome.PENDING, Step.PENDING),
        ("pending", "7", PaymentOutcome.FAILED, Step.FAILED),
        ("created", None, PaymentOutcome.REVERSED, Step.FAILED),
    ],
)
def test_what_a_payment_does_to_its_checkout(state, paid_by, outcome, step):
    assert next_step(state, paid_by, "7", outcome) is step
