"""A debtor on its page (tests of issue 17's actions): a tenant with a collector, a customer with contacts and open
invoices, its link; a form read as a browser does (the form token from the HTML, the nonce from the cookie)."""

import re
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from services.portal.settings import PortalSettings
from tests.receivables.helpers import Ctx, post, setup_tenant
from tests.support import Stack

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Debtor:
    rc: Ctx
    customer: dict[str, Any]
    invoices: list[dict[str, Any]]
    base: str  # /portal/<token>

    @property
    def api(self) -> httpx.AsyncClient:
        return self.rc.api

    async def form(self, action: str) -> tuple[httpx.Response, str]:
        page = await self.api.get(f"{self.base}/{action}")
        assert page.status_code == 200, page.text
        found = CSRF.search(page.text)
        assert found, page.text
        return page, found.group(1)

    async def submit(self, action: str, data: dict[str, Any], files: dict[str, Any] | None = None) -> httpx.Response:
        _, csrf = await self.form(action)
        return await self.api.post(f"{self.base}/{action}", data={"csrf": csrf, **data}, files=files)

    async def invoice(self, index: int = 0) -> dict[str, Any]:
        answer = await self.api.get(f"/v1/invoices/{self.invoices[index]['id']}", headers=self.rc.admin)
        assert answer.status_code == 200, answer.text
        result: dict[str, Any] = answer.json()
        return result

    async def timeline(self) -> list[dict[str, Any]]:
        answer = await self.api.get(f"/v1/customers/{self.customer['id']}/timeline", headers=self.rc.admin)
        assert answer.status_code == 200, answer.text
        items: list[dict[str, Any]] = answer.json()["items"]
        return items

    async def audit(self) -> list[dict[str, Any]]:
        answer = await self.api.get("/v1/portal-actions", headers=self.rc.admin)
        return [a for a in answer.json()["items"] if a["kind"] != "opened"]


async def debtor(api: httpx.AsyncClient, stack: Stack, *amounts: str, language: str = "es") -> Debtor:
    rc = await setup_tenant(api, stack)
    body = {
        "external_id": f"C-{uuid.uuid4().hex[:8]}",
        "name": "Ferretería Los Andes S.R.L.",
        "language": language,
        "country": "AR",
        "collector_id": str(rc.collector_id),
        "contacts": [
            {"channel": "email", "address": "pagos@losandes.example"},
            {"channel": "sms", "address": "+5491155550001"},
        ],
    }
    customer = await post(api, "/v1/customers", rc.admin, body)
    invoices = []
    for n, amount in enumerate(amounts or ("85000.00",)):
        invoice = {
            "customer_id": customer["id"],
            "external_id": f"F-{n}",
            "number": f"A-0001-0000045{n}",
            "currency": "ARS",
            "amount": amount,
            "issue_date": "2026-10-01",
            "due_date": "2026-11-01",
        }
        invoices.append(await post(api, "/v1/invoices", rc.admin, invoice))
    link = await post(api, "/v1/portal-links", rc.admin, {"customer_id": customer["id"]})
    return Debtor(rc, customer, invoices, "/portal/" + link["url"].rsplit("/portal/", 1)[1])


@pytest.fixture
def own_cookies(stack: Stack) -> Any:
    """The gateway client is shared by every test: the form nonce a debtor's browser got leaves with the test."""
    yield
    stack.client.cookies.clear()


@contextmanager
def portal_settings(stack: Stack, **changes: Any) -> Any:
    """The portal app's settings changed for the block (``request.app.state.settings``)."""
    app = stack.services["portal"]
    before: PortalSettings = app.state.settings
    app.state.settings = before.model_copy(update=changes)
    try:
        yield app.state.settings
    finally:
        app.state.settings = before
