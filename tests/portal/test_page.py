"""The customer's page through the gateway (issue 17): a link made for a customer opens the position; an unknown,
tampered, revoked or expired link gets the same friendly page and no data; the page carries a strict CSP."""

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from tests.support import create_tenant

CUSTOMER = {"external_id": "C-1", "name": "Ferretería Los Andes S.R.L.", "language": "es", "country": "AR"}


async def customer_with_invoice(api, headers):
    customer = (await api.post("/v1/customers", json=CUSTOMER, headers=headers)).json()
    invoice = {
        "customer_id": customer["id"],
        "external_id": "F-1",
        "number": "A-0001-00000451",
        "currency": "ARS",
        "amount": "85000.00",
        "issue_date": "2026-10-01",
        "due_date": "2026-11-01",
    }
    created = await api.post("/v1/invoices", json=invoice, headers=headers)
    assert created.status_code == 201, created.text
    return customer, created.json()


async def make_link(api, headers, customer_id):
    answer = await api.post("/v1/portal-links", json={"customer_id": customer_id}, headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


def path_of(url: str) -> str:
    return "/portal/" + url.rsplit("/portal/", 1)[1]


async def test_a_link_opens_the_customers_position_with_a_strict_policy(api):
    tenant = await create_tenant(api)
    customer, _invoice = await customer_with_invoice(api, tenant.admin)
    link = await make_link(api, tenant.admin, customer["id"])
    assert link["state"] == "open" and customer["id"] not in link["url"]

    page = await api.get(path_of(link["url"]))
    assert page.status_code == 200, page.text
    assert "Ferretería Los Andes" in page.text and "A-0001-00000451" in page.text
    assert "85.000,00" in page.text
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "portal_form=" in page.headers.get("set-cookie", "")

    listed = (await api.get("/v1/portal-links", params={"customer_id": customer["id"]}, headers=tenant.admin)).json()
    assert listed["items"][0]["opens"] == 1
    actions = (await api.get("/v1/portal-actions", headers=tenant.admin)).json()["items"]
    assert [a["kind"] for a in actions] == ["opened"]
    # the address the gateway saw (a client's own X-Forwarded-For is kept before it, never taken for it)
    spoofed = await api.get(path_of(link["url"]), headers={"X-Forwarded-For": "198.51.100.7"})
    assert spoofed.status_code == 200
    addresses = {a["ip"] for a in (await api.get("/v1/portal-actions", headers=tenant.admin)).json()["items"]}
    assert len(addresses) == 1 and "198.51.100.7" not in addresses


async def test_unknown_tampered_revoked_and_expired_links_get_one_friendly_page(api, stack):
    tenant = await create_tenant(api)
    customer, _ = await customer_with_invoice(api, tenant.admin)
    link = await make_link(api, tenant.admin, customer["id"])
    path = path_of(link["url"])
    tampered = path[:-1] + ("A" if path[-1] != "A" else "B")
    refused = [await api.get(p) for p in (tampered, "/portal/not-a-token", "/portal/" + "x" * 22)]
    revoked_link = await make_link(api, tenant.admin, customer["id"])
    await api.post(f"/v1/portal-links/{revoked_link['id']}/revoke", headers=tenant.admin)
    refused.append(await api.get(path_of(revoked_link["url"])))
    expired_link = await make_link(api, tenant.admin, customer["id"])
    async with stack.engine.begin() as conn:
        await conn.execute(
            text("UPDATE portal.links SET issued_at = :at WHERE id = :id"),
            {"at": datetime.now(UTC) - timedelta(days=31), "id": expired_link["id"]},
        )
    refused.append(await api.get(path_of(expired_link["url"])))
    bodies = {re.sub(r"\s+", " ", r.text) for r in refused}
    assert {r.status_code for r in refused} == {404}
    assert len(bodies) == 1 and "Ferretería" not in bodies.pop()
    assert (await api.get(path)).status_code == 200  # the good link still opens
