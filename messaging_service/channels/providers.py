"""SMS over the shape of Twilio's Messages API and WhatsApp over the shape of the WhatsApp Cloud API (httpx).

Both map the provider's answer to a ``SendResult``: timeouts, 429 and 5xx are transient; an invalid number is
permanent and invalidates the contact; a recipient who unsubscribed at the provider (Twilio 21610) is an opt-out.
"""

import re
from typing import Any

import httpx

from messaging_service.channels.config import SmsConfig, WhatsAppConfig
from messaging_service.delivery.rules import (
    TWILIO_INVALID_NUMBER_CODES,
    TWILIO_OPT_OUT_CODES,
    WHATSAPP_INVALID_NUMBER_CODES,
    WHATSAPP_TRANSIENT_CODES,
    SendResult,
)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


async def send_sms(
    http: httpx.AsyncClient,
    config: SmsConfig,
    *,
    to: str,
    body: str,
    status_callback: str | None,
    timeout_seconds: float,
    reference: str | None = None,
) -> SendResult:
    """``reference`` (our message id) goes as an ``Idempotency-Key`` header, so a repeated send can be told."""
    url = f"{config.base_url}/2010-04-01/Accounts/{config.account_sid}/Messages.json"
    form = {"To": to, "Body": body}
    if config.messaging_service_sid:
        form["MessagingServiceSid"] = config.messaging_service_sid
    else:
        form["From"] = config.from_number or ""
    if status_callback:
        form["StatusCallback"] = status_callback
    try:
        response = await http.post(
            url,
            data=form,
            auth=(config.account_sid, config.auth_token),
            headers={"Idempotency-Key": reference} if reference else None,
            timeout=timeout_seconds,
        )
    except httpx.TimeoutException:
        return SendResult.transient("timeout", f"the SMS provider did not answer within {timeout_seconds:g}s")
    except httpx.TransportError as exc:
        return SendResult.transient("connection_error", f"{type(exc).__name__}: {exc}")
    body_json = _json(response)
    if response.status_code in (200, 201):
        return SendResult.sent(body_json.get("sid"))
    code = str(body_json.get("code") or response.status_code)
    message = str(body_json.get("message") or response.text[:500])
    if response.status_code == 429 or response.status_code >= 500:
        return SendResult.transient(f"http_{response.status_code}", message)
    if code in TWILIO_OPT_OUT_CODES:
        return SendResult.permanent(code, message, opted_out=True)
    if code in TWILIO_INVALID_NUMBER_CODES:
        return SendResult.permanent(code, message, invalid_contact=True)
    return SendResult.permanent(code, message)


def whatsapp_payload(to: str, whatsapp: dict[str, Any] | None, text: str) -> dict[str, Any]:
    """A template message (collection reminders must be approved templates); free text only when the message
    has no template (allowed inside the 24-hour window after the customer wrote)."""
    digits = re.sub(r"\D", "", to)
    base = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": digits}
    if whatsapp and whatsapp.get("name"):
        template: dict[str, Any] = {"name": whatsapp["name"], "language": {"code": whatsapp.get("language") or "es"}}
        parameters = whatsapp.get("parameters") or []
        if parameters:
            template["components"] = [
                {"type": "body", "parameters": [{"type": "text", "text": str(p)} for p in parameters]}
            ]
        return {**base, "type": "template", "template": template}
    return {**base, "type": "text", "text": {"body": text}}


async def send_whatsapp(
    http: httpx.AsyncClient,
    config: WhatsAppConfig,
    *,
    to: str,
    whatsapp: dict[str, Any] | None,
    text: str,
    timeout_seconds: float,
    reference: str | None = None,
) -> SendResult:
    """``reference`` (our message id) goes as ``biz_opaque_callback_data``: Meta echoes it in status webhooks."""
    url = f"{config.base_url}/{config.api_version}/{config.phone_number_id}/messages"
    payload = whatsapp_payload(to, whatsapp, text)
    if reference:
        payload["biz_opaque_callback_data"] = reference
    try:
        response = await http.post(
            url,
            json=payload,
            headers={"Authorization": f"Bearer {config.access_token}"},
            timeout=timeout_seconds,
        )
    except httpx.TimeoutException:
        return SendResult.transient("timeout", f"the WhatsApp API did not answer within {timeout_seconds:g}s")
    except httpx.TransportError as exc:
        return SendResult.transient("connection_error", f"{type(exc).__name__}: {exc}")
    body = _json(response)
    if response.status_code == 200:
        messages = body.get("messages") or [{}]
        return SendResult.sent(messages[0].get("id"))
    error = body.get("error") or {}
    code = str(error.get("code") or response.status_code)
    message = str(error.get("message") or response.text[:500])
    if response.status_code == 429 or response.status_code >= 500 or code in WHATSAPP_TRANSIENT_CODES:
        return SendResult.transient(code if error else f"http_{response.status_code}", message)
    if code in WHATSAPP_INVALID_NUMBER_CODES:
        return SendResult.permanent(code, message, invalid_contact=True)
    return SendResult.permanent(code, message)
