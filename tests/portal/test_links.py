"""Links to the customer's page (issue 17): kept from messaging's announcement, made by hand, revoked one by one,
per customer or all at once; refused links answer one friendly page; guessing is rate-limited per address."""

import hashlib
import uuid
from datetime import UTC, datetime

from messaging_service.models import outbox as messaging_outbox
from services.portal.worker import HANDLERS
from services.portal.worker import WorkerSettings as PortalWorker
from shared.contracts.messaging import PortalLink, PortalLinksIssued
from shared.outbox import emit
from shared.portal_links import new_token
from tests.alarms.support import relay
from tests.portal.test_page import customer_with_invoice, make_link, path_of
from tests.support import create_tenant, create_user, run_worker


async def announce(stack, tenant_id, links):
    """PortalLinksIssued written to messaging's outbox as messaging does, relayed, taken by the portal's worker."""
    async with stack.engine.begin() as conn:
        await emit(conn, messaging_outbox, tenant_id, PortalLinksIssued(links=links))
    await relay(stack, "messaging")
    await run_worker(PortalWorker)


async def test_the_links_messaging_announces_open_the_page_once_kept(api, stack):
    tenant = await create_tenant(api)
    customer, _ = await customer_with_invoice(api, tenant.admin)
    token, message_id = new_token(), uuid.uuid4()
    link = PortalLink(
        token_hash=hashlib.sha256(token.encode()).hexdigest(),
        customer_id=customer["id"],
        message_id=message_id,
        channel="whatsapp",
        language="es",
        issued_at=datetime.now(UTC),
    )
    await announce(stack, tenant.id, [link])
    await announce(stack, tenant.id, [link])  # a redelivered announcement keeps the one link

    page = await api.get(f"/portal/{token}")
    assert page.status_code == 200 and "Ferretería Los Andes" in page.text
    listed = (await api.get("/v1/portal-links", headers=tenant.admin)).json()["items"]
    assert len(listed) == 1
    assert listed[0]["message_id"] == str(message_id) and listed[0]["issued_by"] == "service:messaging"
    assert listed[0]["channel"] == "whatsapp" and listed[0]["opens"] == 1 and "url" not in listed[0]


async def test_revoking_a_customers_links_or_every_link_closes_them(api):
    tenant = await create_tenant(api)
    customer, _ = await customer_with_invoice(api, tenant.admin)
    first, second = [await make_link(api, tenant.admin, customer["id"]) for _ in range(2)]
    revoked = await api.post("/v1/portal-links/revoke", json={"customer_id": customer["id"]}, headers=tenant.admin)
    assert revoked.json() == {"revoked": 2}
    assert [(await api.get(path_of(link["url"]))).status_code for link in (first, second)] == [404, 404]

    third = await make_link(api, tenant.admin, customer["id"])
    assert (await api.get(path_of(third["url"]))).status_code == 200
    _, collector = await create_user(api, tenant, "collector")
    assert (await api.post("/v1/portal-links/revoke-all", headers=collector)).status_code == 403
    assert (await api.post("/v1/portal-links/revoke-all", headers=tenant.admin)).json() == {"revoked": 1}
    assert (await api.get(path_of(third["url"]))).status_code == 404
    states = {link["state"] for link in (await api.get("/v1/portal-links", headers=tenant.admin)).json()["items"]}
    assert states == {"revoked"}
    fresh = await make_link(api, tenant.admin, customer["id"])  # links made after it open again
    assert (await api.get(path_of(fresh["url"]))).status_code == 200


async def test_a_tenant_that_turns_its_portal_off_closes_every_link(api):
    tenant = await create_tenant(api)
    customer, _ = await customer_with_invoice(api, tenant.admin)
    link = await make_link(api, tenant.admin, customer["id"])
    off = await api.patch("/v1/portal-settings", json={"enabled": False}, headers=tenant.admin)
    assert off.status_code == 200 and off.json()["enabled"] is False
    assert (await api.get(path_of(link["url"]))).status_code == 404


async def test_a_link_for_a_customer_of_another_tenant_or_none_is_refused(api):
    tenant, other = await create_tenant(api), await create_tenant(api)
    customer, _ = await customer_with_invoice(api, tenant.admin)
    for headers, customer_id in ((other.admin, customer["id"]), (tenant.admin, str(uuid.uuid4()))):
        answer = await api.post("/v1/portal-links", json={"customer_id": customer_id}, headers=headers)
        assert answer.status_code == 404
        assert answer.headers["content-type"].startswith("application/problem+json")


async def test_guessing_links_from_one_address_is_stopped(api, stack):
    tenant = await create_tenant(api)
    customer, _ = await customer_with_invoice(api, tenant.admin)
    link = await make_link(api, tenant.admin, customer["id"])
    limit = stack.services["portal"].state.settings.refused_tokens_per_hour_per_address
    answers = [(await api.get(f"/portal/{new_token()}")).status_code for _ in range(limit + 2)]
    assert answers[:limit] == [404] * limit and answers[-1] == 429
    # a real link still opens: only unknown tokens are counted against the address
    assert (await api.get(path_of(link["url"]))).status_code == 200


async def test_bad_settings_name_the_field(api):
    tenant = await create_tenant(api)
    bad = await api.patch(
        "/v1/portal-settings", json={"plan_min_amount": "1000.00", "plan_max_amount": "10.00"}, headers=tenant.admin
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "plan_min_amount"
    assert (await api.get("/v1/portal-settings", headers=tenant.admin)).json()["plan_min_amount"] is None


def test_the_portal_worker_handles_the_link_announcement():
    assert set(HANDLERS) == {PortalLinksIssued}


async def test_links_name_the_customer_by_the_erps_id_too(api):
    tenant = await create_tenant(api)
    customer, _ = await customer_with_invoice(api, tenant.admin)
    made = await api.post("/v1/portal-links", json={"customer_external_id": "C-1"}, headers=tenant.admin)
    assert made.status_code == 201 and made.json()["customer_id"] == customer["id"]
    unknown = await api.post("/v1/portal-links", json={"customer_external_id": "C-404"}, headers=tenant.admin)
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "customer_external_id"
    both = await api.post(
        "/v1/portal-links", json={"customer_id": customer["id"], "customer_external_id": "C-1"}, headers=tenant.admin
    )
    assert both.status_code == 422
    revoked = await api.post("/v1/portal-links/revoke", json={"customer_external_id": "C-1"}, headers=tenant.admin)
    assert revoked.json() == {"revoked": 1}
