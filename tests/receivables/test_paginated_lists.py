"""Issue 14: the lists that answered a bare array are cursor-paginated like the rest (two pages, no duplicates)."""

from tests.receivables.helpers import customer, invoice, post, sync
from tests.support import create_user, two_pages


async def test_collectors_dispute_areas_and_invoice_history_come_in_pages(rc):
    for _ in range(2):
        await create_user(rc.api, rc.tenant, "collector")
    await sync(rc.stack)
    collectors = await two_pages(rc.api, "/v1/people/collectors", rc.admin, limit=2)
    assert len({c["user_id"] for c in collectors}) == 3

    for name in ("Logística", "Facturación", "Comercial"):
        await post(rc.api, "/v1/dispute-areas", rc.admin, {"name": name})
    areas = await two_pages(rc.api, "/v1/dispute-areas", rc.admin, limit=2)
    assert [a["name"] for a in areas] == ["Comercial", "Facturación", "Logística"]

    inv = await invoice(rc, (await customer(rc))["id"], issue_date="2026-01-02")
    for due in ("2026-03-01", "2026-03-05", "2026-03-09"):
        changed = await rc.api.patch(f"/v1/invoices/{inv['id']}", json={"due_date": due}, headers=rc.admin)
        assert changed.status_code == 200, changed.text
    history = await two_pages(rc.api, f"/v1/invoices/{inv['id']}/history", rc.admin, limit=2)
    assert [h["data"]["due_date"]["to"] for h in history] == ["2026-03-01", "2026-03-05", "2026-03-09"]
    assert len({h["id"] for h in history}) == 3


async def test_a_tampered_cursor_is_a_422_naming_it(rc):
    response = await rc.api.get("/v1/dispute-areas", params={"cursor": "bm90LWEtY3Vyc29y"}, headers=rc.admin)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "cursor"
