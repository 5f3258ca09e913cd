"""Our Checkout Pro adapter against the local PSP stub run as its own process on loopback (``python -m
services.portal.stubs.psp``), with a notification receiver served by the test: a checkout created and its page
served, a payment made, its signed notification verified, the payment fetched and mapped to our outcome.
No database: the portal's service and routes come later (issue 17)."""

import asyncio
import hashlib
import hmac
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bench.harness import free_port_base
from services.portal.checkout.client import CheckoutClient, CheckoutConfig, PaymentProviderError
from services.portal.checkout.rules import (
    PaymentOutcome,
    SignatureCheck,
    parse_signature_header,
    payment_outcome,
    verify_signature,
)
from services.portal.checkout.schemas import PaymentNotification, PreferenceRequest
from tests.support import serve_on_loopback

ROOT = Path(__file__).resolve().parents[2]
SECRET = "test-webhook-secret"
TOKEN = "TEST-access-token"


@dataclass
class Receiver:
    """Our side of the notifications: records each one and answers the queued statuses first, then 200."""

    url: str
    received: list[dict[str, Any]] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)

    async def handle(self, request: Request) -> Response:
        self.received.append(
            {"query": dict(request.query_params), "headers": dict(request.headers), "body": await request.json()}
        )
        return JSONResponse({}, status_code=self.answers.pop(0) if self.answers else 200)

    async def wait_for(self, payment_id: str, count: int = 1, seconds: float = 10.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            found = [n for n in self.received if n["query"].get("data.id") == payment_id]
            if len(found) >= count:
                return found
            await asyncio.sleep(0.02)
        raise AssertionError(f"{count} notification(s) for payment {payment_id} did not arrive: {self.received}")


@dataclass
class Psp:
    url: str
    http: httpx.AsyncClient
    client: CheckoutClient
    receiver: Receiver

    async def control(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self.http.request(method, self.url + path, **kwargs)


def start_stub(log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """The stub as its own process on a port free below the ephemeral range (retried if another worker took it)."""
    for _ in range(5):
        port = free_port_base([0])
        command = [sys.executable, "-m", "services.portal.stubs.psp", "--host", "127.0.0.1", "--port", str(port)]
        command += ["--webhook-secret", SECRET, "--access-token", TOKEN, "--retry-base-seconds", "0.05"]
        with log.open("ab") as output:
            process = subprocess.Popen(command, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while process.poll() is None and time.monotonic() < deadline:
            try:
                if httpx.get(url + "/_stub/requests", timeout=1).status_code == 200:
                    return process, url
            except httpx.TransportError:
                time.sleep(0.05)
        process.kill()
        process.wait()
    raise RuntimeError(f"the PSP stub did not start: {log.read_text()[-2000:]}")


@pytest.fixture(scope="module")
async def receiver() -> AsyncIterator[Receiver]:
    port = free_port_base([0])
    receiver = Receiver(f"http://127.0.0.1:{port}/notifications")
    app = Starlette(routes=[Route("/notifications", receiver.handle, methods=["POST"])])
    async with serve_on_loopback(app, port):
        yield receiver


@pytest.fixture
async def psp(psp_url: str, receiver: Receiver) -> AsyncIterator[Psp]:
    receiver.received.clear()
    receiver.answers.clear()
    async with httpx.AsyncClient() as http:
        assert (await http.delete(psp_url + "/_stub/requests")).status_code == 204
        client = CheckoutClient(http, CheckoutConfig(psp_url, TOKEN, timeout_seconds=5))
        yield Psp(psp_url, http, client, receiver)


def preference_request(receiver: Receiver, reference: str = "attempt-1") -> PreferenceRequest:
    back = "https://portal.example/portal/pay"
    return PreferenceRequest.model_validate(
        {
            "items": [
                {"title": "Factura A-0001-00000042", "quantity": 1, "unit_price": "1000.25", "currency_id": "ARS"},
                {"title": "Factura A-0001-00000043", "quantity": 2, "unit_price": "250.00", "currency_id": "ARS"},
            ],
            "payer": {"email": "pagos@cliente.example"},
            "external_reference": reference,
            "notification_url": receiver.url,
            "back_urls": {"success": f"{back}/ok", "pending": f"{back}/pending", "failure": f"{back}/failed"},
        }
    )


def _check(notification: dict[str, Any], now: datetime | None = None, secret: str = SECRET) -> SignatureCheck:
    return verify_signature(
        header=notification["headers"].get("x-signature"),
        request_id=notification["headers"].get("x-request-id"),
        data_id=notification["query"]["data.id"],
        secret=secret,
        now=now or datetime.now(UTC),
    )


# ---- against the stub ------------------------------------------------------------------------------------------


async def test_a_preference_is_created_and_its_checkout_page_served(psp: Psp):
    preference = await psp.client.create_preference(preference_request(psp.receiver), idempotency_key="k-1")

    assert preference.id and preference.init_point.startswith(psp.url)
    page = await psp.http.get(preference.init_point)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for status in ("approved", "rejected", "pending"):
        assert f'name="status" value="{status}"' in page.text
    assert "attempt-1" in page.text and "1500.25" in page.text  # 1000.25 + 2 x 250.00
    again = await psp.client.create_preference(preference_request(psp.receiver), idempotency_key="k-1")
    assert again == preference  # a retried create (same X-Idempotency-Key) makes no second checkout
    sent, repeated = (await psp.control("GET", "/_stub/requests")).json()["requests"]
    assert sent["authorization"] == f"Bearer {TOKEN}" and sent["idempotency_key"] == "k-1"
    assert (sent["repeated"], repeated["repeated"]) == (False, True)
    assert sent["body"]["items"][0]["unit_price"] == 1000.25  # a JSON number, as Mercado Pago takes it


async def test_approving_in_the_browser_notifies_signed_and_the_payment_is_approved(psp: Psp):
    preference = await psp.client.create_preference(preference_request(psp.receiver))
    page = await psp.http.get(preference.init_point)
    assert page.status_code == 200

    paid = await psp.http.post(
        psp.url + "/checkout/v1/pay", data={"pref_id": preference.id, "status": "approved"}, follow_redirects=False
    )

    assert paid.status_code == 303
    back = urlsplit(paid.headers["location"])
    params = {k: v[0] for k, v in parse_qs(back.query).items()}
    assert back.path == "/portal/pay/ok"
    assert params["status"] == "approved" and params["external_reference"] == "attempt-1"
    assert params["preference_id"] == preference.id
    (notification,) = await psp.receiver.wait_for(params["payment_id"])
    assert notification["query"]["type"] == "payment"
    body = PaymentNotification.model_validate(notification["body"])
    assert (body.type, body.action, body.data.id) == ("payment", "payment.created", params["payment_id"])
    assert _check(notification) is SignatureCheck.VALID

    payment = await psp.client.fetch_payment(body.data.id)
    assert payment.status == "approved" and payment.outcome is PaymentOutcome.PAID
    assert payment.transaction_amount == Decimal("1500.25") and payment.currency_id == "ARS"
    assert payment.external_reference == "attempt-1" and payment.date_approved is not None


async def test_a_forged_or_stale_signature_is_refused(psp: Psp):
    preference = await psp.client.create_preference(preference_request(psp.receiver))
    paid = (await psp.control("POST", f"/_stub/payments/{preference.id}", json={"status": "approved"})).json()
    (notification,) = await psp.receiver.wait_for(str(paid["payment"]["id"]))
    assert _check(notification) is SignatureCheck.VALID

    assert _check(notification, secret="another-secret") is SignatureCheck.MISMATCH
    assert _check(notification, now=datetime.now(UTC) + timedelta(minutes=6)) is SignatureCheck.STALE
    other_payment = {**notification, "query": {**notification["query"], "data.id": "1"}}
    assert _check(other_payment) is SignatureCheck.MISMATCH
    unsigned = {**notification, "headers": {"x-request-id": notification["headers"]["x-request-id"]}}
    assert _check(unsigned) is SignatureCheck.MALFORMED

    await psp.control("POST", "/_stub/faults", json={"mode": "bad_signature", "times": 1})
    forged = (await psp.control("POST", f"/_stub/payments/{preference.id}", json={"status": "approved"})).json()
    (notification,) = await psp.receiver.wait_for(str(forged["payment"]["id"]))
    assert _check(notification) is SignatureCheck.MISMATCH


async def test_a_rejected_payment_maps_to_failed_and_a_refund_to_reversed(psp: Psp):
    preference = await psp.client.create_preference(preference_request(psp.receiver))

    rejected = (await psp.control("POST", f"/_stub/payments/{preference.id}", json={"status": "rejected"})).json()
    assert rejected["notification"]["delivered"] is True
    payment = await psp.client.fetch_payment(str(rejected["payment"]["id"]))
    assert payment.status == "rejected" and payment.outcome is PaymentOutcome.FAILED
    assert payment.date_approved is None

    approved = (await psp.control("POST", f"/_stub/payments/{preference.id}", json={"status": "approved"})).json()
    payment_id = str(approved["payment"]["id"])
    refund = {"status": "refunded", "payment_id": payment_id}
    assert (await psp.control("POST", f"/_stub/payments/{preference.id}", json=refund)).status_code == 201
    created, updated = await psp.receiver.wait_for(payment_id, count=2)
    assert (created["body"]["action"], updated["body"]["action"]) == ("payment.created", "payment.updated")
    assert (await psp.client.fetch_payment(payment_id)).outcome is PaymentOutcome.REVERSED


async def test_a_notification_not_answered_2xx_is_retried_signed_again(psp: Psp):
    preference = await psp.client.create_preference(preference_request(psp.receiver))
    psp.receiver.answers[:] = [500, 503]

    paid = (await psp.control("POST", f"/_stub/payments/{preference.id}", json={"status": "pending"})).json()

    assert paid["notification"]["delivered"] is False
    tries = await psp.receiver.wait_for(str(paid["payment"]["id"]), count=3)
    assert len({n["headers"]["x-request-id"] for n in tries}) == 1
    assert all(_check(n) is SignatureCheck.VALID for n in tries)
    for _ in range(200):  # the stub records a try once its answer is back, a moment after the receiver has it
        log = (await psp.control("GET", "/_stub/requests")).json()["notifications"]
        if len(log) == len(tries):
            break
        await asyncio.sleep(0.02)
    assert [(n["try"], n["delivered"]) for n in log] == [(1, False), (2, False), (3, True)]
    assert (await psp.client.fetch_payment(str(paid["payment"]["id"]))).outcome is PaymentOutcome.PENDING


async def test_the_provider_failing_or_refusing_is_a_problem(psp: Psp):
    wrong_token = CheckoutClient(psp.http, CheckoutConfig(psp.url, "not-the-token"))
    with pytest.raises(PaymentProviderError) as refused:
        await wrong_token.create_preference(preference_request(psp.receiver))
    assert (refused.value.provider_status, refused.value.transient, refused.value.status) == (401, False, 502)

    with pytest.raises(PaymentProviderError) as unknown:
        await psp.client.fetch_payment("123")
    assert (unknown.value.provider_status, unknown.value.transient) == (404, False)

    await psp.control("POST", "/_stub/faults", json={"mode": "http_503", "route": "preferences", "times": 1})
    with pytest.raises(PaymentProviderError) as unavailable:
        await psp.client.create_preference(preference_request(psp.receiver))
    assert (unavailable.value.provider_status, unavailable.value.transient) == (503, True)
    assert await psp.client.create_preference(preference_request(psp.receiver))  # the fault was used up

    await psp.control("POST", "/_stub/faults", json={"mode": "timeout", "times": 1, "delay_seconds": 2})
    impatient = CheckoutClient(psp.http, CheckoutConfig(psp.url, TOKEN, timeout_seconds=0.2))
    with pytest.raises(PaymentProviderError) as timed_out:
        await impatient.create_preference(preference_request(psp.receiver))
    assert (timed_out.value.provider_status, timed_out.value.transient) == (None, True)

    bad = preference_request(psp.receiver).model_dump(mode="json")
    bad["back_urls"]["failure"] = "not a url"
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    answer = await psp.http.post(psp.url + "/checkout/preferences", json=bad, headers=bearer)
    assert answer.status_code == 400 and "back_urls.failure" in answer.json()["message"]


# ---- the pure rules --------------------------------------------------------------------------------------------


def _sign(data_id: str, request_id: str, ts: str, secret: str = SECRET) -> str:
    """Signed here on its own (not with our rules), as the provider's documentation says."""
    manifest = f"id:{data_id};request-id:{request_id};ts:{ts};"
    return f"ts={ts},v1={hmac.new(secret.encode(), manifest.encode(), hashlib.sha256).hexdigest()}"


def test_mercado_pago_statuses_map_to_ours():
    expected = {
        "approved": PaymentOutcome.PAID,
        "authorized": PaymentOutcome.PAID,
        "pending": PaymentOutcome.PENDING,
        "in_process": PaymentOutcome.PENDING,
        "rejected": PaymentOutcome.FAILED,
        "cancelled": PaymentOutcome.FAILED,
        "refunded": PaymentOutcome.REVERSED,
        "charged_back": PaymentOutcome.REVERSED,
    }
    assert {status: payment_outcome(status) for status in expected} == expected
    assert payment_outcome("something_new") is None


def test_the_signature_header_is_parsed_strictly():
    v1 = "a" * 64
    assert parse_signature_header(f"ts=1704908010,v1={v1}") is not None
    assert parse_signature_header(f" v1={v1.upper()} , ts=1704908010 ") is not None
    for header in ("", f"v1={v1}", "ts=1704908010", f"ts=17x,v1={v1}", "ts=1,v1=abc", f"ts=1,ts=2,v1={v1}", "ts"):
        assert parse_signature_header(header) is None, header


def test_a_signature_in_milliseconds_is_checked_against_the_same_clock():
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    ts = str(int(now.timestamp() * 1000) - 30_000)
    header = _sign("42", "req-1", ts)
    assert verify_signature(header=header, request_id="req-1", data_id="42", secret=SECRET, now=now).value == "valid"
    later = now + timedelta(minutes=10)
    assert verify_signature(header=header, request_id="req-1", data_id="42", secret=SECRET, now=later) == "stale"


ids = st.text(st.characters(codec="ascii", exclude_characters=";"), min_size=1, max_size=40)
timestamps = st.integers(min_value=1_600_000_000, max_value=2_000_000_000)


@given(data_id=ids, request_id=ids, ts=timestamps, field_=st.sampled_from(["id", "request_id", "ts"]), data=st.data())
def test_any_change_to_the_id_the_request_id_or_the_ts_is_refused(data_id, request_id, ts, field_, data):
    now = datetime.fromtimestamp(ts, UTC)
    header = _sign(data_id, request_id, str(ts))
    check = {"header": header, "request_id": request_id, "data_id": data_id, "secret": SECRET, "now": now}
    assert verify_signature(**check) is SignatureCheck.VALID
    if field_ == "id":
        changed = data.draw(st.text(max_size=40))
        assume(changed != data_id)
        check["data_id"] = changed
    elif field_ == "request_id":
        changed = data.draw(st.text(max_size=40))
        assume(changed != request_id)
        check["request_id"] = changed
    else:  # the same v1 under another ts (within the allowed age, so only the signature can refuse it)
        other = data.draw(st.integers(min_value=ts - 299, max_value=ts + 299).filter(lambda t: t != ts))
        check["header"] = f"ts={other}," + header.split(",")[1]
    assert verify_signature(**check) is not SignatureCheck.VALID
