"""A local payment provider on loopback with the shape of Mercado Pago's Checkout Pro (shared PROVIDERS.md), for
local runs and tests: preferences, a checkout page where a browser "pays", signed payment notifications (retried when
not answered 2xx), payments to fetch, a request log and faults on demand.

``python -m services.portal.stubs.psp --host 127.0.0.1 --port 8007 --webhook-secret S --access-token T``

The provider's routes: ``POST /checkout/preferences`` and ``GET /v1/payments/{id}`` (both ``Authorization: Bearer
<access token>``), the checkout page at each preference's ``init_point`` (plain forms: approve, reject, leave pending;
then a redirect to the matching back_url with ``payment_id``, ``status``, ``external_reference``,
``preference_id``...). Control routes (not part of the provider's API), all under ``/_stub``:
- ``POST /_stub/payments/{preference_id}`` ``{"status": "approved"|"rejected"|"pending"|..., "payment_id": null}``
  pays without a browser (or, with ``payment_id``, changes that payment: refunded, charged_back...) and notifies
- ``GET /_stub/requests`` what was received and the notifications sent; ``DELETE /_stub/requests`` forgets everything
- ``POST /_stub/faults`` ``{"mode": "http_500"|"http_503"|"http_429"|"timeout", "route": "preferences"|"payments"|null,
  "times": 2|null, "delay_seconds": 30}`` makes the provider's API fail; ``{"mode": "bad_signature", "times": 1}``
  signs the next notifications with another secret (a forgery); ``DELETE /_stub/faults``
- ``POST /_stub/config`` ``{"notification_retries": 3, "retry_base_seconds": 1.0, "webhook_secret": ...}``
"""

import argparse
import asyncio
import hashlib
import hmac
import itertools
import json
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from services.portal.stubs.psp_wire import (
    COLLECTOR_ID,
    STATUS_DETAILS,
    STATUSES,
    Payment,
    checkout_page_html,
    now,
    preference_problem,
    with_query,
)

FAULT_MODES = ("http_500", "http_503", "http_429", "timeout", "bad_signature")


@dataclass
class Fault:
    mode: str
    route: str | None = None
    times: int | None = None
    delay_seconds: float = 30.0


@dataclass
class PspStub:
    """The stub's state and its Starlette app."""

    access_token: str
    webhook_secret: str
    notification_retries: int = 3
    retry_base_seconds: float = 1.0
    public_url: str | None = None  # the base of init_point as a browser reaches it (default: as the caller did)
    requests: list[dict[str, Any]] = field(default_factory=list)
    notifications: list[dict[str, Any]] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    preferences: dict[str, dict[str, Any]] = field(default_factory=dict)
    payments: dict[int, Payment] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._ids = itertools.count(int(time.time()) * 10)  # numeric ids, as Mercado Pago's payments have
        self._tasks: set[asyncio.Task[Any]] = set()
        self._idempotent: dict[str, str] = {}  # X-Idempotency-Key -> preference id
        self.app = Starlette(
            routes=[
                Route("/checkout/preferences", self.create_preference, methods=["POST"]),
                Route("/checkout/v1/redirect", self.checkout_page, methods=["GET"]),
                Route("/checkout/v1/pay", self.pay_from_page, methods=["POST"]),
                Route("/v1/payments/{payment_id}", self.get_payment, methods=["GET"]),
                Route("/_stub/payments/{preference_id}", self.pay_from_test, methods=["POST"]),
                Route("/_stub/requests", self.list_requests, methods=["GET"]),
                Route("/_stub/requests", self.reset, methods=["DELETE"]),
                Route("/_stub/faults", self.add_fault, methods=["POST"]),
                Route("/_stub/faults", self.clear_faults, methods=["DELETE"]),
                Route("/_stub/config", self.configure, methods=["POST"]),
            ]
        )

    # ---- the provider's API -------------------------------------------------------------------------------------

    async def create_preference(self, request: Request) -> Response:
        raw = await request.body()
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        problem = await self._refuse(request, "preferences", body)
        if problem is not None:
            return problem
        shape_problem = preference_problem(body)
        if shape_problem:
            return self._error(request, body, 400, "invalid_parameter", shape_problem, 4020)
        key = request.headers.get("x-idempotency-key")
        if key and key in self._idempotent:  # a retried create: the same preference again
            self._record(request, "preferences", body, 201, idempotency_key=key, repeated=True)
            return JSONResponse(self.preferences[self._idempotent[key]], status_code=201)
        preference_id = f"{COLLECTOR_ID}-{uuid.uuid4()}"
        base = (self.public_url or str(request.base_url)).rstrip("/")
        query = urlencode({"pref_id": preference_id})
        answer = {
            **body,
            "id": preference_id,
            "collector_id": COLLECTOR_ID,
            "client_id": str(COLLECTOR_ID),
            "date_created": now(),
            "init_point": f"{base}/checkout/v1/redirect?{query}",
            "sandbox_init_point": f"{base}/checkout/v1/redirect?{query}&sandbox=1",
        }
        self.preferences[preference_id] = answer
        if key:
            self._idempotent[key] = preference_id
        self._record(request, "preferences", body, 201, idempotency_key=key, repeated=False)
        return JSONResponse(answer, status_code=201)

    async def get_payment(self, request: Request) -> Response:
        problem = await self._refuse(request, "payments", None)
        if problem is not None:
            return problem
        payment_id = request.path_params["payment_id"]
        payment = self.payments.get(int(payment_id)) if payment_id.isdigit() else None
        if payment is None:
            return self._error(request, None, 404, "not_found", "Payment not found", 2000, route="payments")
        self._record(request, "payments", None, 200)
        return JSONResponse(payment.answer())

    async def _refuse(self, request: Request, route: str, body: Any) -> Response | None:
        """A wrong access token (401) or a fault on demand; None when the call goes on."""
        token = (request.headers.get("authorization") or "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(token.encode(), self.access_token.encode()):
            return self._error(request, body, 401, "unauthorized", "invalid access token", 401, route=route)
        fault = self._fault(route)
        if fault is None:
            return None
        if fault.mode == "timeout":
            self._record(request, route, body, 504)
            await asyncio.sleep(fault.delay_seconds)
            return JSONResponse({"message": "timeout", "error": "timeout", "status": 504, "cause": []}, 504)
        status = int(fault.mode.removeprefix("http_"))
        return self._error(request, body, status, "internal_error", "Service unavailable", status, route=route)

    def _fault(self, route: str) -> Fault | None:
        for fault in self.faults:
            if fault.route in (None, route) and (route == "notifications") == (fault.mode == "bad_signature"):
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                return fault
        return None

    def _error(
        self, request: Request, body: Any, status: int, error: str, message: str, code: int, route: str = "preferences"
    ) -> Response:
        self._record(request, route, body, status)
        answer = {
            "message": message,
            "error": error,
            "status": status,
            "cause": [{"code": code, "description": message}],
        }
        return JSONResponse(answer, status_code=status)

    def _record(self, request: Request, route: str, body: Any, status: int, **extra: Any) -> None:
        self.requests.append(
            {
                "route": route,
                "method": request.method,
                "path": request.url.path,
                "authorization": request.headers.get("authorization"),
                "body": body,
                "status": status,
                "received_at": time.time(),
                **extra,
            }
        )

    # ---- the checkout page --------------------------------------------------------------------------------------

    async def checkout_page(self, request: Request) -> Response:
        preference = self.preferences.get(request.query_params.get("pref_id", ""))
        if preference is None:
            return HTMLResponse("<!doctype html><title>Not found</title><p>Unknown checkout.</p>", status_code=404)
        return HTMLResponse(checkout_page_html(preference))

    async def pay_from_page(self, request: Request) -> Response:
        form = await request.form()
        preference = self.preferences.get(str(form.get("pref_id", "")))
        status = str(form.get("status", ""))
        if preference is None or status not in ("approved", "rejected", "pending"):
            return HTMLResponse("<!doctype html><title>Bad request</title><p>Unknown checkout.</p>", status_code=400)
        payment = self._pay(preference, status)
        self._spawn(self.notify(payment, "payment.created"))
        back = preference["back_urls"][{"approved": "success", "pending": "pending"}.get(status, "failure")]
        params = {
            "collection_id": payment.id,
            "collection_status": status,
            "payment_id": payment.id,
            "status": status,
            "external_reference": payment.external_reference,
            "payment_type": "credit_card",
            "merchant_order_id": payment.id + 1,
            "preference_id": preference["id"],
            "site_id": "MLA",
            "processing_mode": "aggregator",
            "merchant_account_id": "null",
        }
        return RedirectResponse(with_query(back, params), status_code=303)

    def _pay(self, preference: dict[str, Any], status: str) -> Payment:
        amount = sum(Decimal(str(i["unit_price"])) * int(i["quantity"]) for i in preference["items"])
        created = now()
        payment = Payment(
            id=next(self._ids),
            preference_id=preference["id"],
            status=status,
            status_detail=STATUS_DETAILS[status],
            transaction_amount=float(amount),
            currency_id=preference["items"][0]["currency_id"],
            external_reference=preference["external_reference"],
            payer_email=str((preference.get("payer") or {}).get("email") or ""),
            date_created=created,
            date_last_updated=created,
            date_approved=created if status == "approved" else None,
        )
        self.payments[payment.id] = payment
        return payment

    # ---- notifications ------------------------------------------------------------------------------------------

    def signature(self, data_id: str, request_id: str, ts: str) -> str:
        manifest = f"id:{data_id};request-id:{request_id};ts:{ts};"
        return hmac.new(self.webhook_secret.encode(), manifest.encode(), hashlib.sha256).hexdigest()

    async def notify(self, payment: Payment, action: str) -> dict[str, Any]:
        """POST the notification to the preference's notification_url, retried (backing off) while not answered
        2xx; the record of the first try."""
        preference = self.preferences[payment.preference_id]
        url = with_query(preference["notification_url"], {"data.id": payment.id, "type": "payment"})
        request_id = str(uuid.uuid4())
        body = {
            "action": action,
            "api_version": "v1",
            "data": {"id": str(payment.id)},
            "date_created": now(),
            "id": next(self._ids),
            "live_mode": False,
            "type": "payment",
            "user_id": str(COLLECTOR_ID),
        }
        first = await self._attempt(url, request_id, body, payment.id, 1)
        if not first["delivered"]:
            self._spawn(self._retry(url, request_id, body, payment.id))
        return first

    async def _retry(self, url: str, request_id: str, body: dict[str, Any], payment_id: int) -> None:
        for attempt in range(2, self.notification_retries + 2):
            await asyncio.sleep(self.retry_base_seconds * 2 ** (attempt - 2))
            if (await self._attempt(url, request_id, body, payment_id, attempt))["delivered"]:
                return

    async def _attempt(
        self, url: str, request_id: str, body: dict[str, Any], payment_id: int, attempt: int
    ) -> dict[str, Any]:
        ts = str(int(time.time()))
        v1 = self.signature(str(payment_id), request_id, ts)
        if self._fault("notifications") is not None:  # bad_signature: signed with another secret
            v1 = hmac.new(b"not-the-secret", v1.encode(), hashlib.sha256).hexdigest()
        headers = {"x-signature": f"ts={ts},v1={v1}", "x-request-id": request_id}
        record: dict[str, Any] = {"payment_id": payment_id, "url": url, "headers": headers, "body": body}
        record |= {"try": attempt, "answer": None, "error": None}
        try:
            async with httpx.AsyncClient(timeout=10) as client:
                response = await client.post(url, json=body, headers=headers)
            record["answer"] = response.status_code
        except httpx.HTTPError as exc:
            record["error"] = type(exc).__name__
        record["delivered"] = record["answer"] is not None and 200 <= record["answer"] < 300
        self.notifications.append(record)
        return record

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ---- control routes -----------------------------------------------------------------------------------------

    async def pay_from_test(self, request: Request) -> Response:
        body = await request.json()
        preference = self.preferences.get(request.path_params["preference_id"])
        status = body.get("status")
        if preference is None:
            return JSONResponse({"error": "unknown preference"}, status_code=404)
        if status not in STATUSES:
            return JSONResponse({"error": f"status must be one of {', '.join(STATUSES)}"}, status_code=422)
        existing = self.payments.get(int(body["payment_id"])) if str(body.get("payment_id") or "").isdigit() else None
        if body.get("payment_id") and (existing is None or existing.preference_id != preference["id"]):
            return JSONResponse({"error": "unknown payment_id for this preference"}, status_code=404)
        if existing is not None:
            existing.status, existing.status_detail, existing.date_last_updated = status, STATUS_DETAILS[status], now()
            if status == "approved" and existing.date_approved is None:
                existing.date_approved = existing.date_last_updated
            payment, action = existing, "payment.updated"
        else:
            payment, action = self._pay(preference, status), "payment.created"
        if body.get("status_detail"):
            payment.status_detail = str(body["status_detail"])
        notification = await self.notify(payment, action)
        return JSONResponse({"payment": payment.answer(), "notification": notification}, status_code=201)

    async def list_requests(self, request: Request) -> Response:
        route = request.query_params.get("route")
        return JSONResponse(
            {
                "requests": [r for r in self.requests if route in (None, r["route"])],
                "notifications": self.notifications,
                "payments": [p.answer() for p in self.payments.values()],
            }
        )

    def forget(self) -> None:
        """Drop every record, fault and notification still being retried."""
        for task in list(self._tasks):
            task.cancel()
        for records in (self.requests, self.notifications, self.faults):
            records.clear()
        self.preferences.clear()
        self.payments.clear()
        self._idempotent.clear()

    async def reset(self, request: Request) -> Response:
        self.forget()
        return Response(status_code=204)

    async def add_fault(self, request: Request) -> Response:
        body = await request.json()
        if body.get("mode") not in FAULT_MODES:
            return JSONResponse({"error": f"mode must be one of {', '.join(FAULT_MODES)}"}, status_code=422)
        route = body.get("route") or ("notifications" if body["mode"] == "bad_signature" else None)
        fault = Fault(body["mode"], route, body.get("times"), float(body.get("delay_seconds", 30.0)))
        self.faults.append(fault)
        return JSONResponse({"faults": len(self.faults)}, status_code=201)

    async def clear_faults(self, request: Request) -> Response:
        self.faults.clear()
        return Response(status_code=204)

    async def configure(self, request: Request) -> Response:
        body = await request.json()
        for name, kind in (("notification_retries", int), ("retry_base_seconds", float)):
            if name in body:
                setattr(self, name, kind(body[name]))
        for name in ("webhook_secret", "access_token"):
            if body.get(name):
                setattr(self, name, str(body[name]))
        return JSONResponse({"ok": True})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8007)
    parser.add_argument("--webhook-secret", default="dev-psp-webhook-secret")
    parser.add_argument("--access-token", default="dev-psp-access-token")
    parser.add_argument("--notification-retries", type=int, default=3)
    parser.add_argument("--retry-base-seconds", type=float, default=1.0)
    parser.add_argument("--public-url", help="the base of init_point for browsers (default: the URL the caller used)")
    args = parser.parse_args()
    stub = PspStub(
        args.access_token, args.webhook_secret, args.notification_retries, args.retry_base_seconds, args.public_url
    )
    print(f"psp: Checkout Pro shape on http://{args.host}:{args.port}", flush=True)
    uvicorn.run(stub.app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
