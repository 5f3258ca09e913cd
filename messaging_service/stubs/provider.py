# Over 400 lines on purpose: one local peer (``ProviderStub``) standing in for Twilio and the WhatsApp Cloud API at
# once, as one process with one state: the request log, the faults (which may name either channel) and the queue of
# callbacks retried in order per message are shared by both channels' routes. Split by channel, that state would be
# split or passed around; it is a test double, not product code.
"""A local SMS / WhatsApp provider on loopback, for local runs and tests: the shape of Twilio's Messages API and of
the WhatsApp Cloud API (see shared PROVIDERS.md), recording every request, able to fail on demand and to send
signed status callbacks and inbound messages.

``python -m messaging_service.stubs.provider --host 127.0.0.1 --port 8005``

Control endpoints (not part of either provider's API), all under ``/_stub``:
- ``GET /_stub/requests`` what was received; ``DELETE /_stub/requests`` forgets everything (requests, faults)
- ``POST /_stub/faults`` ``{"mode": "http_500"|"http_503"|"http_429"|"timeout"|"invalid_number"|"opted_out",
  "channel": "sms"|"whatsapp"|null, "to": "+54..."|null, "times": 2|null, "delay_seconds": 30}``
- ``POST /_stub/config`` ``{"twilio_accounts": {sid: token}, "whatsapp_webhook_url": url,
  "whatsapp_app_secret": secret, "auto_statuses": ["sent", "delivered"]}``
- ``POST /_stub/callbacks`` ``{"message_id": "SM...|wamid...", "status": "delivered", "error_code": null, "url": null}``
  sends the provider's signed status callback (Twilio: to the message's StatusCallback)
- ``POST /_stub/inbound`` ``{"channel": "sms", "from": "+54...", "to": "+1...", "body": "STOP", "url": ...,
  "context_id": "wamid..."|null}``

Callbacks (statuses and inbound messages) that fail (no answer, or not 2xx) are retried as Meta's platform does:
after 1 s, 2 s, 4 s ... at most ``callback_retry_cap_seconds`` apart, for ``callback_retry_hours`` (24 h by default),
in order per message (a later status of a message waits behind an earlier one still failing). The request log
(``GET /_stub/requests``) counts them (``callback_counts``: delivered, pending, retried, expired), and counts every
accepted send per our message reference (Twilio: the ``message`` parameter of its StatusCallback, or an
``Idempotency-Key`` / ``I-Twilio-Idempotency-Token`` header; WhatsApp: ``biz_opaque_callback_data``):
``duplicates`` is how many accepted sends repeated a reference already seen.
"""

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import phonenumbers
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

FAULT_MODES = ("http_500", "http_503", "http_429", "timeout", "invalid_number", "opted_out")


@dataclass
class Fault:
    mode: str
    channel: str | None = None
    to: str | None = None
    times: int | None = None
    delay_seconds: float = 30.0

    def matches(self, channel: str, to: str) -> bool:
        digits = "".join(c for c in to if c.isdigit())
        wanted = "".join(c for c in (self.to or "") if c.isdigit())
        return (self.channel in (None, channel)) and (not wanted or wanted == digits)


@dataclass
class PendingCallback:
    """A callback to deliver: the HTTP request, when it was first due, how many times it was tried."""

    url: str
    request: dict[str, Any]
    label: dict[str, Any]
    first_at: float = field(default_factory=time.time)
    tries: int = 0


@dataclass
class SentMessage:
    id: str
    channel: str
    to: str
    sender: str | None
    status_callback: str | None = None
    auth_token: str | None = None
    account_sid: str | None = None
    phone_number_id: str | None = None
    reference: str | None = None


@dataclass
class ProviderStub:
    """The stub's state and its Starlette app."""

    twilio_accounts: dict[str, str] = field(default_factory=dict)
    whatsapp_webhook_url: str | None = None
    whatsapp_app_secret: str | None = None
    auto_statuses: list[str] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    messages: dict[str, SentMessage] = field(default_factory=dict)
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    callback_retry_hours: float = 24.0
    callback_retry_base_seconds: float = 1.0
    callback_retry_cap_seconds: float = 300.0
    references: Counter[str] = field(default_factory=Counter)
    callback_counts: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        # Callbacks still to deliver, per message (or per sender, for inbound messages), in order.
        self._pending: dict[str, list[PendingCallback]] = {}
        self.app = Starlette(
            routes=[
                Route("/2010-04-01/Accounts/{sid}/Messages.json", self.twilio_send, methods=["POST"]),
                Route("/_stub/requests", self.list_requests, methods=["GET"]),
                Route("/_stub/requests", self.reset, methods=["DELETE"]),
                Route("/_stub/faults", self.add_fault, methods=["POST"]),
                Route("/_stub/faults", self.clear_faults, methods=["DELETE"]),
                Route("/_stub/config", self.configure, methods=["POST"]),
                Route("/_stub/callbacks", self.callback, methods=["POST"]),
                Route("/_stub/inbound", self.inbound, methods=["POST"]),
                Route("/{version}/{phone_number_id}/messages", self.whatsapp_send, methods=["POST"]),
            ]
        )

    # ---- faults -------------------------------------------------------------------------------------------------

    def _fault(self, channel: str, to: str) -> Fault | None:
        for fault in self.faults:
            if fault.matches(channel, to):
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                return fault
        return None

    def _record(
        self,
        request: Request,
        channel: str,
        body: dict[str, Any],
        status: int,
        message_id: str | None,
        reference: str | None = None,
    ) -> None:
        if reference and message_id:  # an accepted send: a repeat of a reference is a duplicate delivery
            self.references[reference] += 1
        self.requests.append(
            {
                "channel": channel,
                "method": request.method,
                "path": request.url.path,
                "authorization": request.headers.get("authorization"),
                "content_type": request.headers.get("content-type"),
                "body": body,
                "status": status,
                "message_id": message_id,
                "reference": reference,
                "received_at": time.time(),
            }
        )

    async def _hang(self, request: Request, channel: str, body: dict[str, Any], fault: Fault) -> Response:
        """A provider that does not answer in time: recorded on arrival, answered (504) only after the delay."""
        self._record(request, channel, body, 504, None)
        await asyncio.sleep(fault.delay_seconds)
        return JSONResponse({"code": 20504, "message": "Gateway timeout"}, status_code=504)

    # ---- Twilio -------------------------------------------------------------------------------------------------

    async def twilio_send(self, request: Request) -> Response:
        sid = request.path_params["sid"]
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        to = form.get("To", "")
        user, token = _basic_auth(request.headers.get("authorization"))
        expected = self.twilio_accounts.get(sid)
        if user != sid or not token or (expected is not None and token != expected):
            return self._twilio_error(request, form, 401, 20003, "Authenticate")
        fault = self._fault("sms", to)
        if fault is not None:
            if fault.mode == "timeout":
                return await self._hang(request, "sms", form, fault)
            if fault.mode.startswith("http_"):
                status = int(fault.mode[5:])
                return self._twilio_error(request, form, status, 20500 if status >= 500 else 20429, "Service error")
            elif fault.mode == "invalid_number":
                return self._twilio_error(
                    request, form, 400, 21211, f"The 'To' number {to} is not a valid phone number."
                )
            elif fault.mode == "opted_out":
                return self._twilio_error(request, form, 400, 21610, "Attempt to send to unsubscribed recipient")
        if not to or not _valid_phone(to):
            return self._twilio_error(request, form, 400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if not form.get("Body"):
            return self._twilio_error(request, form, 400, 21602, "Message body is required.")
        if not form.get("From") and not form.get("MessagingServiceSid"):
            return self._twilio_error(request, form, 400, 21603, "A 'From' or 'MessagingServiceSid' is required.")
        message_id = "SM" + secrets.token_hex(16)
        reference = _twilio_reference(request, form)
        self.messages[message_id] = SentMessage(
            message_id, "sms", to, form.get("From"), form.get("StatusCallback"), token, sid, reference=reference
        )
        self._record(request, "sms", form, 201, message_id, reference)
        self._auto(message_id)
        return JSONResponse(
            {
                "sid": message_id,
                "account_sid": sid,
                "status": "queued",
                "to": to,
                "from": form.get("From"),
                "messaging_service_sid": form.get("MessagingServiceSid"),
                "body": form.get("Body"),
                "num_segments": "1",
                "direction": "outbound-api",
                "api_version": "2010-04-01",
                "error_code": None,
                "error_message": None,
                "uri": f"/2010-04-01/Accounts/{sid}/Messages/{message_id}.json",
            },
            status_code=201,
        )

    def _twilio_error(self, request: Request, form: dict[str, Any], status: int, code: int, message: str) -> Response:
        self._record(request, "sms", form, status, None)
        return JSONResponse(
            {
                "code": code,
                "message": message,
                "more_info": f"https://www.twilio.com/docs/errors/{code}",
                "status": status,
            },
            status_code=status,
        )

    # ---- WhatsApp -----------------------------------------------------------------------------------------------

    async def whatsapp_send(self, request: Request) -> Response:
        try:
            body = json.loads(await request.body())
        except ValueError:
            body = {}
        to = str(body.get("to", "")) if isinstance(body, dict) else ""
        token = (request.headers.get("authorization") or "").removeprefix("Bearer ").strip()
        if not token:
            return self._whatsapp_error(request, body, 401, 190, "Invalid OAuth access token.", "OAuthException")
        fault = self._fault("whatsapp", to)
        if fault is not None:
            if fault.mode == "timeout":
                return await self._hang(request, "whatsapp", body if isinstance(body, dict) else {}, fault)
            if fault.mode == "http_429":
                return self._whatsapp_error(request, body, 429, 130429, "Rate limit hit", "OAuthException")
            elif fault.mode.startswith("http_"):
                return self._whatsapp_error(request, body, int(fault.mode[5:]), 131000, "Something went wrong")
            elif fault.mode == "invalid_number":
                return self._whatsapp_error(request, body, 400, 131026, "Message Undeliverable.")
            elif fault.mode == "opted_out":
                return self._whatsapp_error(request, body, 400, 131050, "User has stopped marketing messages")
        problem = _whatsapp_shape_problem(body)
        if problem:
            return self._whatsapp_error(request, body, 400, 100, f"Invalid parameter: {problem}")
        if not _valid_phone("+" + to):
            return self._whatsapp_error(request, body, 400, 131026, "Message Undeliverable.")
        message_id = "wamid." + base64.b64encode(secrets.token_bytes(24)).decode().rstrip("=")
        reference = str(body.get("biz_opaque_callback_data") or "") or None
        self.messages[message_id] = SentMessage(
            message_id,
            "whatsapp",
            to,
            None,
            phone_number_id=request.path_params["phone_number_id"],
            reference=reference,
        )
        self._record(request, "whatsapp", body, 200, message_id, reference)
        self._auto(message_id)
        return JSONResponse(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to}],
                "messages": [{"id": message_id, "message_status": "accepted"}],
            }
        )

    def _whatsapp_error(
        self, request: Request, body: Any, status: int, code: int, message: str, kind: str = "OAuthException"
    ) -> Response:
        self._record(request, "whatsapp", body if isinstance(body, dict) else {}, status, None)
        return JSONResponse(
            {
                "error": {
                    "message": f"(#{code}) {message}",
                    "type": kind,
                    "code": code,
                    "error_subcode": 2494010 if code == 131026 else None,
                    "fbtrace_id": secrets.token_urlsafe(12),
                }
            },
            status_code=status,
        )

    # ---- callbacks ----------------------------------------------------------------------------------------------

    def _auto(self, message_id: str) -> None:
        if not self.auto_statuses:
            return

        async def send_all() -> None:
            for status in self.auto_statuses:
                await asyncio.sleep(0.2)
                try:
                    await self.send_callback(message_id, status)
                except Exception as exc:  # a local convenience: report and go on
                    print(f"provider: callback {status} for {message_id} failed: {exc}", flush=True)

        task = asyncio.create_task(send_all())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def send_callback(
        self, message_id: str, status: str, error_code: str | None = None, url: str | None = None
    ) -> httpx.Response | None:
        sent = self.messages[message_id]
        if sent.channel == "sms":
            target = url or sent.status_callback
            if not target:
                raise ValueError("the message has no StatusCallback and no url was given")
            params = {
                "MessageSid": sent.id,
                "SmsSid": sent.id,
                "AccountSid": sent.account_sid or "",
                "MessageStatus": status,
                "SmsStatus": status,
                "To": sent.to,
                "From": sent.sender or "",
                "ApiVersion": "2010-04-01",
            }
            if error_code:
                params["ErrorCode"] = error_code
            headers = {"X-Twilio-Signature": twilio_signature(sent.auth_token or "", target, params)}
            request: dict[str, Any] = {"data": params, "headers": headers}
        else:
            target = url or self.whatsapp_webhook_url
            if not target:
                raise ValueError("no WhatsApp webhook url configured")
            status_item: dict[str, Any] = {
                "id": sent.id,
                "status": status,
                "timestamp": str(int(time.time())),
                "recipient_id": sent.to,
            }
            if error_code:
                status_item["errors"] = [{"code": int(error_code), "title": "Message failed"}]
            if sent.reference:  # Meta echoes the send's biz_opaque_callback_data in its status webhooks
                status_item["biz_opaque_callback_data"] = sent.reference
            body = _whatsapp_envelope(sent.phone_number_id or "", {"statuses": [status_item]})
            request = self._whatsapp_request(body)
        label = {"message_id": message_id, "status": status, "url": target}
        return await self.deliver(message_id, PendingCallback(target, request, label))

    def _whatsapp_request(self, body: dict[str, Any]) -> dict[str, Any]:
        raw = json.dumps(body).encode()
        signature = "sha256=" + hmac.new((self.whatsapp_app_secret or "").encode(), raw, hashlib.sha256).hexdigest()
        return {"content": raw, "headers": {"X-Hub-Signature-256": signature, "Content-Type": "application/json"}}

    # ---- delivering callbacks, with retries ---------------------------------------------------------------------

    async def deliver(self, key: str, callback: PendingCallback) -> httpx.Response | None:
        """Try a callback now, unless an earlier one for ``key`` still waits (order per message); a failed one is
        retried in the background. The answer of the try made now, or None (queued, or no answer at all)."""
        queue = self._pending.get(key)
        if queue:
            queue.append(callback)
            return None
        response = await self._attempt(callback)
        if response is None or not response.is_success:
            self._pending[key] = [callback]
            task = asyncio.create_task(self._retry(key))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return response

    async def _attempt(self, callback: PendingCallback) -> httpx.Response | None:
        callback.tries += 1
        if callback.tries > 1:
            self.callback_counts["retried"] += 1
        try:
            response = await _post(callback.url, **callback.request)
        except httpx.HTTPError as exc:
            failure = {"answer": None, "error": type(exc).__name__, "try": callback.tries}
            self.callbacks.append({**callback.label, **failure})
            return None
        self.callbacks.append({**callback.label, "answer": response.status_code, "try": callback.tries})
        if response.is_success:
            self.callback_counts["delivered"] += 1
        return response

    async def _retry(self, key: str) -> None:
        """Deliver ``key``'s callbacks in order: back off on the head until it succeeds or its time is up."""
        queue = self._pending[key]
        try:
            while queue:
                head = queue[0]
                if head.tries:
                    delay = self.callback_retry_base_seconds * 2 ** (head.tries - 1)
                    await asyncio.sleep(min(self.callback_retry_cap_seconds, delay))
                if time.time() - head.first_at > self.callback_retry_hours * 3600:
                    self.callback_counts["expired"] += 1
                    queue.pop(0)
                    continue
                response = await self._attempt(head)
                if response is not None and response.is_success:
                    queue.pop(0)
        finally:
            if self._pending.get(key) is queue:
                del self._pending[key]

    def callback_summary(self) -> dict[str, int]:
        return {
            "delivered": self.callback_counts["delivered"],
            "pending": sum(len(q) for q in self._pending.values()),
            "retried": self.callback_counts["retried"],
            "expired": self.callback_counts["expired"],
        }

    def forget(self) -> None:
        """Drop every record and every callback still waiting (tests, ``DELETE /_stub/requests``)."""
        for task in list(self._tasks):
            task.cancel()
        self._pending.clear()
        self.requests.clear()
        self.faults.clear()
        self.messages.clear()
        self.callbacks.clear()
        self.references.clear()
        self.callback_counts.clear()

    # ---- control endpoints --------------------------------------------------------------------------------------

    async def list_requests(self, request: Request) -> Response:
        channel = request.query_params.get("channel")
        items = [r for r in self.requests if channel in (None, r["channel"])]
        return JSONResponse(
            {
                "requests": items,
                "callbacks": self.callbacks,
                "callback_counts": self.callback_summary(),
                "duplicates": sum(n - 1 for n in self.references.values()),
            }
        )

    async def reset(self, request: Request) -> Response:
        self.forget()
        return Response(status_code=204)

    async def add_fault(self, request: Request) -> Response:
        body = await request.json()
        if body.get("mode") not in FAULT_MODES:
            return JSONResponse({"error": f"mode must be one of {', '.join(FAULT_MODES)}"}, status_code=422)
        self.faults.append(
            Fault(
                mode=body["mode"],
                channel=body.get("channel"),
                to=body.get("to"),
                times=body.get("times"),
                delay_seconds=float(body.get("delay_seconds", 30.0)),
            )
        )
        return JSONResponse({"faults": len(self.faults)}, status_code=201)

    async def clear_faults(self, request: Request) -> Response:
        self.faults.clear()
        return Response(status_code=204)

    async def configure(self, request: Request) -> Response:
        body = await request.json()
        self.twilio_accounts.update(body.get("twilio_accounts") or {})
        for name in ("whatsapp_webhook_url", "whatsapp_app_secret", "auto_statuses"):
            if name in body:
                setattr(self, name, body[name])
        return JSONResponse({"ok": True})

    async def callback(self, request: Request) -> Response:
        body = await request.json()
        if body.get("message_id") not in self.messages:
            return JSONResponse({"error": "unknown message_id"}, status_code=404)
        response = await self.send_callback(body["message_id"], body["status"], body.get("error_code"), body.get("url"))
        return _answer(response)

    async def inbound(self, request: Request) -> Response:
        body = await request.json()
        url = body["url"]
        if body.get("channel", "sms") == "sms":
            params = {
                "MessageSid": "SM" + secrets.token_hex(16),
                "AccountSid": body.get("account_sid", ""),
                "From": body["from"],
                "To": body.get("to", ""),
                "Body": body.get("body", ""),
                "NumMedia": "0",
            }
            token = body.get("auth_token") or next(iter(self.twilio_accounts.values()), "")
            headers = {"X-Twilio-Signature": twilio_signature(token, url, params)}
            request_data: dict[str, Any] = {"data": params, "headers": headers}
            inbound_id = params["MessageSid"]
        else:
            digits = "".join(c for c in body["from"] if c.isdigit())
            inbound_id = "wamid." + secrets.token_hex(12)
            item: dict[str, Any] = {
                "from": digits,
                "id": inbound_id,
                "timestamp": str(int(time.time())),
                "type": "text",
                "text": {"body": body.get("body", "")},
            }
            if body.get("context_id"):  # the customer answered one of our messages
                item["context"] = {"from": "15550000000", "id": body["context_id"]}
            value = {"contacts": [{"profile": {"name": body.get("name", "")}, "wa_id": digits}], "messages": [item]}
            request_data = self._whatsapp_request(_whatsapp_envelope(body.get("phone_number_id", ""), value))
        label = {"message_id": inbound_id, "status": "inbound", "url": url}
        response = await self.deliver("inbound:" + body["from"], PendingCallback(url, request_data, label))
        return _answer(response)


def _answer(response: httpx.Response | None) -> Response:
    """What ``/_stub/callbacks`` and ``/_stub/inbound`` say: the receiver's answer, or that it will be retried."""
    if response is None:
        return JSONResponse({"status_code": None, "body": None, "retrying": True})
    return JSONResponse(
        {"status_code": response.status_code, "body": response.text, "retrying": not response.is_success}
    )


def _twilio_reference(request: Request, form: dict[str, str]) -> str | None:
    """Our reference of an SMS send: an idempotency header, else the ``message`` parameter of its StatusCallback."""
    header = request.headers.get("idempotency-key") or request.headers.get("i-twilio-idempotency-token")
    if header:
        return header
    callback = form.get("StatusCallback")
    if not callback:
        return None
    values = parse_qs(urlsplit(callback).query).get("message")
    return values[0] if values else None


def twilio_signature(auth_token: str, url: str, params: dict[str, str]) -> str:
    data = url + "".join(k + params[k] for k in sorted(params))
    return base64.b64encode(hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def _whatsapp_envelope(phone_number_id: str, value: dict[str, Any]) -> dict[str, Any]:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "WABA-" + (phone_number_id or "0"),
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"display_phone_number": "15550000000", "phone_number_id": phone_number_id},
                            **value,
                        },
                    }
                ],
            }
        ],
    }


def _whatsapp_shape_problem(body: Any) -> str | None:
    if not isinstance(body, dict):
        return "body must be a JSON object"
    if body.get("messaging_product") != "whatsapp":
        return "messaging_product must be 'whatsapp'"
    to = str(body.get("to", ""))
    if not to.isdigit():
        return "to must be the recipient's digits"
    if body.get("type") == "template":
        template = body.get("template") or {}
        if not template.get("name") or not (template.get("language") or {}).get("code"):
            return "template.name and template.language.code are required"
        for component in template.get("components") or []:
            for parameter in component.get("parameters") or []:
                if parameter.get("type") == "text" and not str(parameter.get("text", "")).strip():
                    return "a text parameter is empty"
        return None
    if body.get("type") == "text":
        return None if (body.get("text") or {}).get("body") else "text.body is required"
    return "type must be 'template' or 'text'"


def _valid_phone(value: str) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(value, None))
    except phonenumbers.NumberParseException:
        return False


def _basic_auth(header: str | None) -> tuple[str | None, str | None]:
    if not header or not header.lower().startswith("basic "):
        return None, None
    try:
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None, None
    return user, password


async def _post(url: str, **kwargs: Any) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.post(url, **kwargs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8005)
    parser.add_argument(
        "--auto-status",
        default="sent,delivered",
        help="statuses to call back after each accepted message, comma separated ('' for none)",
    )
    gateway = os.environ.get("COBRANZA_GATEWAY_URL", "http://127.0.0.1:8000")
    parser.add_argument("--whatsapp-webhook-url", default=f"{gateway}/webhooks/messaging/whatsapp")
    parser.add_argument(
        "--whatsapp-app-secret", default=os.environ.get("MESSAGING_DEV_WHATSAPP_APP_SECRET", "dev-whatsapp-app-secret")
    )
    parser.add_argument(
        "--callback-retry-hours", type=float, default=24.0, help="how long a failing callback is retried"
    )
    args = parser.parse_args()
    stub = ProviderStub(
        whatsapp_webhook_url=args.whatsapp_webhook_url,
        whatsapp_app_secret=args.whatsapp_app_secret,
        auto_statuses=[s for s in args.auto_status.split(",") if s],
        callback_retry_hours=args.callback_retry_hours,
    )
    print(f"provider: Twilio and WhatsApp Cloud API shapes on http://{args.host}:{args.port}", flush=True)
    uvicorn.run(stub.app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
