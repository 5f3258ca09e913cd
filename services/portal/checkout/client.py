"""Our HTTP client for a payment provider with the shape of Mercado Pago's Checkout Pro (httpx): create a
preference, fetch a payment. The base URL comes from configuration, so the same code talks to Mercado Pago and to
the local stub (``services/portal/stubs/psp.py``).

No database and no routes yet (issue 17 brings the portal's service); a failed call is a ``PaymentProviderError``
(a problem the portal's routes can answer as 502), marked ``transient`` when trying again later may help.
"""

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import ValidationError

from services.portal.checkout.schemas import Payment, Preference, PreferenceRequest
from shared.problems import Problem

Answer = TypeVar("Answer", Preference, Payment)


@dataclass(frozen=True)
class CheckoutConfig:
    base_url: str  # https://api.mercadopago.com, or the stub's http://127.0.0.1:<port>
    access_token: str
    timeout_seconds: float = 10.0


class PaymentProviderError(Problem):
    """The provider refused, failed or did not answer. ``transient``: a timeout, a lost connection, 429 or 5xx."""

    status, slug, title = 502, "payment-provider-error", "The payment provider failed"

    def __init__(self, detail: str, *, provider_status: int | None, transient: bool) -> None:
        super().__init__(detail, provider_status=provider_status)
        self.provider_status = provider_status
        self.transient = transient


class CheckoutClient:
    """One tenant's (one access token's) calls to the provider, over a shared ``httpx.AsyncClient``."""

    def __init__(self, http: httpx.AsyncClient, config: CheckoutConfig) -> None:
        self._http = http
        self._config = config

    async def create_preference(self, request: PreferenceRequest, *, idempotency_key: str | None = None) -> Preference:
        """A checkout for the debtor; ``idempotency_key`` (``X-Idempotency-Key``) makes a retried create safe."""
        headers = {"X-Idempotency-Key": idempotency_key} if idempotency_key else {}
        body = request.model_dump(mode="json", exclude_none=True)
        answer = await self._call("POST", "/checkout/preferences", body=body, headers=headers)
        return _parse(Preference, answer)

    async def fetch_payment(self, payment_id: str) -> Payment:
        """The payment as the provider knows it now: the only account we act on."""
        answer = await self._call("GET", f"/v1/payments/{quote(payment_id, safe='')}")
        return _parse(Payment, answer)

    async def _call(
        self, method: str, path: str, *, body: Any = None, headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        url = self._config.base_url.rstrip("/") + path
        try:
            response = await self._http.request(
                method,
                url,
                json=body,
                headers={"Authorization": f"Bearer {self._config.access_token}", **(headers or {})},
                timeout=self._config.timeout_seconds,
            )
        except httpx.TimeoutException as exc:
            raise PaymentProviderError(
                f"no answer from the payment provider within {self._config.timeout_seconds:g}s",
                provider_status=None,
                transient=True,
            ) from exc
        except httpx.TransportError as exc:
            raise PaymentProviderError(
                f"the payment provider could not be reached: {type(exc).__name__}", provider_status=None, transient=True
            ) from exc
        answer = _json(response)
        if response.is_success:
            return answer
        message = str(answer.get("message") or response.reason_phrase or "error")
        raise PaymentProviderError(
            f"{method} {path}: {response.status_code} {message}",
            provider_status=response.status_code,
            transient=response.status_code == 429 or response.status_code >= 500,
        )


def _json(response: httpx.Response) -> dict[str, Any]:
    """The body as JSON with exact amounts (numbers with a fraction become ``Decimal``); {} when it is not JSON."""
    try:
        body = json.loads(response.content, parse_float=Decimal)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _parse(model: type[Answer], body: dict[str, Any]) -> Answer:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise PaymentProviderError(
            f"the payment provider answered an unexpected {model.__name__}: {exc.error_count()} problems",
            provider_status=None,
            transient=False,
        ) from exc
