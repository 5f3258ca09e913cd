"""The wire side of the local Checkout Pro stub (``psp.py``): the payment as Mercado Pago shows it, what it refuses
in a preference, and the checkout page a browser "pays" on (plain forms, no JavaScript)."""

import html
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

STATUSES = ("approved", "authorized", "pending", "in_process", "rejected", "cancelled", "refunded", "charged_back")
STATUS_DETAILS = {
    "approved": "accredited",
    "authorized": "pending_capture",
    "pending": "pending_waiting_payment",
    "in_process": "pending_contingency",
    "rejected": "cc_rejected_other_reason",
    "cancelled": "expired",
    "refunded": "refunded",
    "charged_back": "settled",
}
COLLECTOR_ID = 1_000_001  # the stub's one seller account


@dataclass
class Payment:
    id: int
    preference_id: str
    status: str
    status_detail: str
    transaction_amount: float
    currency_id: str
    external_reference: str
    payer_email: str
    date_created: str
    date_last_updated: str
    date_approved: str | None = None

    def answer(self) -> dict[str, Any]:
        """The payment as ``GET /v1/payments/{id}`` shows it."""
        body = asdict(self)
        del body["preference_id"], body["payer_email"]
        return {**body, "payer": {"email": self.payer_email}, "live_mode": False, "collector_id": COLLECTOR_ID}


def preference_problem(body: Any) -> str | None:
    """What Mercado Pago would refuse in a preference (the fields we rely on), or None."""
    if not isinstance(body, dict):
        return "the body must be a JSON object"
    items = body.get("items")
    if not isinstance(items, list) or not items:
        return "items must be a non-empty list"
    for n, item in enumerate(items):
        if not isinstance(item, dict) or not str(item.get("title") or "").strip():
            return f"items[{n}].title is required"
        if not isinstance(item.get("quantity"), int) or item["quantity"] < 1:
            return f"items[{n}].quantity must be a positive integer"
        try:
            price = Decimal(str(item.get("unit_price")))
        except InvalidOperation:
            price = Decimal(0)
        if isinstance(item.get("unit_price"), bool) or not price.is_finite() or price <= 0:
            return f"items[{n}].unit_price must be a positive number"
        if not isinstance(item.get("currency_id"), str) or len(item["currency_id"]) != 3:
            return f"items[{n}].currency_id must be a currency code"
    if len({item["currency_id"] for item in items}) > 1:
        return "all items must have the same currency_id"
    payer = body.get("payer")
    if payer is not None and (not isinstance(payer, dict) or "@" not in str(payer.get("email") or "")):
        return "payer.email must be an email address"
    if not str(body.get("external_reference") or "").strip():
        return "external_reference is required"
    if not _http_url(body.get("notification_url")):
        return "notification_url must be an http(s) URL"
    back_urls = body.get("back_urls")
    for name in ("success", "pending", "failure"):
        if not isinstance(back_urls, dict) or not _http_url(back_urls.get(name)):
            return f"back_urls.{name} must be an http(s) URL"
    if body.get("auto_return") not in (None, "approved", "all"):
        return "auto_return must be 'approved' or 'all'"
    return None


def _http_url(value: Any) -> bool:
    return isinstance(value, str) and urlsplit(value).scheme in ("http", "https") and bool(urlsplit(value).netloc)


def with_query(url: str, params: dict[str, Any]) -> str:
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit(parts._replace(query=query))


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def checkout_page_html(preference: dict[str, Any]) -> str:
    """The checkout as a browser sees it: what is paid, and three plain forms (no JavaScript)."""
    items = preference["items"]
    total = sum(Decimal(str(i["unit_price"])) * int(i["quantity"]) for i in items)
    lines = "".join(
        f"<li>{html.escape(str(i['title']))} x {int(i['quantity'])}: {html.escape(str(i['unit_price']))}</li>"
        for i in items
    )
    pref_id = html.escape(preference["id"])
    buttons = "".join(
        f'<form method="post" action="/checkout/v1/pay"><input type="hidden" name="pref_id" value="{pref_id}">'
        f'<button type="submit" name="status" value="{status}">{label}</button></form>'
        for status, label in (("approved", "Approve"), ("rejected", "Reject"), ("pending", "Leave pending"))
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><title>Checkout (stub)</title></head>'
        f"<body><main><h1>Pay {html.escape(items[0]['currency_id'])} {total}</h1><ul>{lines}</ul>"
        f"<p>Reference: {html.escape(preference['external_reference'])}</p>{buttons}</main></body></html>"
    )
