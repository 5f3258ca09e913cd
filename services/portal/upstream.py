"""The portal's calls to the services that hold the customer's data (never their schemas: DESIGN), as
``service:portal`` for one tenant: receivables (the customer, the statement, outcomes, payments, tasks) and
messaging (the tenant's profile: its name, logo, payment instructions; opt-outs).

A 4xx answer is the other service refusing what the debtor asked (a date beyond the promise horizon, an invoice
that is no longer open): ``Refused`` carries its problem, so the page can say why. Anything else is a 502."""

import uuid
from typing import Annotated, Any

import httpx
from fastapi import Depends, Request

from shared.identity import SERVICE, identity_headers
from shared.problems import BadGateway, NotFound
from shared.settings import ServiceSettings


class Refused(Exception):
    """The service said no (4xx): ``problem`` is its problem+json body."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        super().__init__(problem.get("detail") or problem.get("title") or f"refused ({status})")
        self.status = status
        self.problem = problem

    @property
    def detail(self) -> str:
        return str(self)


class Upstream:
    def __init__(self, http: httpx.AsyncClient, settings: ServiceSettings) -> None:
        self.http = http
        self.settings = settings

    async def call(self, method: str, service: str, path: str, tenant_id: uuid.UUID, **kwargs: Any) -> httpx.Response:
        url = self.settings.service_url(service).rstrip("/") + path
        headers = identity_headers(self.settings.internal_secret, tenant_id, "service:portal", [SERVICE])
        headers.update(kwargs.pop("headers", {}))
        try:
            response = await self.http.request(method, url, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            raise BadGateway(f"The {service} service could not be reached", service=service) from exc
        if response.is_success:
            return response
        if 400 <= response.status_code < 500:
            try:
                problem = response.json()
            except ValueError:
                problem = {}
            raise Refused(response.status_code, problem if isinstance(problem, dict) else {})
        raise BadGateway(f"The {service} service answered {response.status_code}", service=service)

    async def get_json(self, service: str, path: str, tenant_id: uuid.UUID, **params: Any) -> Any:
        return (await self.call("GET", service, path, tenant_id, params=params)).json()

    async def post_json(self, service: str, path: str, tenant_id: uuid.UUID, body: Any, **kwargs: Any) -> Any:
        return (await self.call("POST", service, path, tenant_id, json=body, **kwargs)).json()

    async def customer(self, tenant_id: uuid.UUID, customer_id: uuid.UUID) -> dict[str, Any]:
        try:
            answer: dict[str, Any] = await self.get_json("receivables", f"/v1/customers/{customer_id}", tenant_id)
        except Refused as refused:
            if refused.status == 404:
                raise NotFound("Customer not found", field="customer_id") from None
            raise
        return answer

    async def statement(self, tenant_id: uuid.UUID, customer_id: uuid.UUID) -> dict[str, Any]:
        """The customer's statement: the same figures the messages carry (``amount_due`` per currency)."""
        answer: dict[str, Any] = await self.get_json("receivables", f"/v1/customers/{customer_id}/statement", tenant_id)
        return answer

    async def statement_pdf(self, tenant_id: uuid.UUID, customer_id: uuid.UUID, language: str | None) -> httpx.Response:
        """The statement receivables prints, in ``language`` (None: receivables takes the customer's)."""
        path = f"/v1/customers/{customer_id}/statement.pdf"
        params = {"language": language} if language else {}
        return await self.call("GET", "receivables", path, tenant_id, params=params)

    async def profile(self, tenant_id: uuid.UUID) -> dict[str, Any]:
        """The tenant's messaging profile (company, logo, payment instructions, how to notify a payment)."""
        answer = await self.get_json("messaging", "/v1/messaging-settings", tenant_id)
        return dict(answer.get("profile") or {}) if isinstance(answer, dict) else {}


async def upstream(request: Request) -> Upstream:
    return Upstream(request.app.state.http, request.app.state.settings)


UpstreamDep = Annotated[Upstream, Depends(upstream)]
