"""Action items: created by action steps when their notice is accepted (or at once when no channel is
left), listed, assigned, resolved; an open action item stops the reminders of its invoices."""

import uuid
from datetime import date, timedelta

from tests.dunning.support import Messaging, Portfolio, create_strategy, dunning_tenant, real_run, set_action_owner
from tests.support import create_user

MONDAY = date(2025, 6, 2)


async def test_action_step_opens_an_action_item_once_its_notice_is_accepted_and_follows_the_notice(api, stack):
    tenant = await dunning_tenant(api, stack)
    owner, _ = await create_user(api, tenant, "supervisor")
    await set_action_owner(api, stack, tenant, owner["id"])  # in receivables' settings, its one owner
    await create_strategy(api, tenant.admin)
    portfolio = Portfolio(stack, tenant.id)
    messaging = Messaging(stack, tenant.id)
    ana = await portfolio.customer("Ana", email="ana@example.com", external_id="ERP-C-ANA")
    await portfolio.invoice(ana, "F-1", due=MONDAY - timedelta(days=50), issue=MONDAY - timedelta(days=80))
    await real_run(api, tenant.admin, MONDAY)
    (notice,) = await messaging.take()
    assert notice.kind == "action_notice"
    assert notice.action == "legal"
    assert notice.attach_statement is True
    listed = (await api.get("/v1/action-items", headers=tenant.admin)).json()["items"]
    assert listed == []  # not before messaging accepts the notice
    await messaging.answer([notice])
    (item,) = (await api.get("/v1/action-items", params={"status": "open"}, headers=tenant.admin)).json()["items"]
    assert item["action"] == "legal"
    assert item["source"] == "step"
    assert item["notice_state"] == "pending"  # messaging holds it: not sent yet
    assert item["assignee_id"] == owner["id"]
    assert item["customer_name"] == "Ana"
    assert item["step_key"] == "legal-45"
    assert item["created_on"] == MONDAY.isoformat()
    await messaging.answer([notice], state="sent")
    (item,) = (await api.get("/v1/action-items", params={"status": "open"}, headers=tenant.admin)).json()["items"]
    assert item["notice_state"] == "sent"
    await messaging.take()
    events = [e for e in messaging.events if e["type"] == "dunning.action_item_changed"]
    assert [(e["status"], e["notice_state"]) for e in events] == [("open", "pending"), ("open", "sent")]
    assert [e["change"] for e in events] == ["created", "notice"]  # what the webhook catalogue announces by
    assert {e["customer_external_id"] for e in events} == {"ERP-C-ANA"}  # the ERP's id, for its webhooks
    assert {e["action_item_id"] for e in events} == {item["id"]}

    # reminders stopped for good, even after the action item is resolved
    resolved = await api.post(
        f"/v1/action-items/{item['id']}/resolve", json={"resolution": "done"}, headers=tenant.admin
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["status"] == "done"
    await real_run(api, tenant.admin, MONDAY + timedelta(days=30))
    assert await messaging.take() == []
    explained = (
        await api.get(f"/v1/dunning-explain/{ana}", params={"as_of": "2025-07-02"}, headers=tenant.admin)
    ).json()
    assert explained["invoices"][0]["reason"] == "action_taken"


async def test_manual_action_item_pauses_reminders_until_resolved(api, stack):
    tenant = await dunning_tenant(api, stack)
    await create_strategy(api, tenant.admin)
    portfolio = Portfolio(stack, tenant.id)
    messaging = Messaging(stack, tenant.id)
    ana = await portfolio.customer("Ana", email="ana@example.com", external_id="ERP-C-ANA")
    f1 = await portfolio.invoice(ana, "F-1", due=MONDAY - timedelta(days=1), issue=MONDAY - timedelta(days=31))
    await portfolio.invoice(ana, "F-2", due=MONDAY - timedelta(days=1), issue=MONDAY - timedelta(days=31))
    created = await api.post(
        "/v1/action-items",
        json={"customer_id": str(ana), "invoice_ids": [str(f1)], "action": "call", "note": "Llamar al gerente"},
        headers=tenant.admin,
    )
    assert created.status_code == 201, created.text
    item = created.json()
    assert item["source"] == "manual"
    await real_run(api, tenant.admin, MONDAY)
    (sent,) = await messaging.take_and_accept()
    assert [i.number for i in sent.invoices if i.triggered] == ["F-2"]  # F-1 has an open action item
    assert [i.number for i in sent.invoices] == ["F-1", "F-2"]  # still owed: the message states it (issue 12)

    supervisor, _ = await create_user(api, tenant, "supervisor")
    assigned = await api.post(
        f"/v1/action-items/{item['id']}/assign", json={"assignee_id": supervisor["id"]}, headers=tenant.admin
    )
    assert assigned.json()["assignee_id"] == supervisor["id"]
    mine = await api.get("/v1/action-items", params={"assignee_id": supervisor["id"]}, headers=tenant.admin)
    assert [i["id"] for i in mine.json()["items"]] == [item["id"]]
    no_reason = await api.post(
        f"/v1/action-items/{item['id']}/resolve", json={"resolution": "cancelled"}, headers=tenant.admin
    )
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"][0]["field"] == "reason"
    cancelled = await api.post(
        f"/v1/action-items/{item['id']}/resolve",
        json={"resolution": "cancelled", "reason": "Pagará la semana próxima"},
        headers=tenant.admin,
    )
    assert cancelled.json()["status"] == "cancelled"
    twice = await api.post(f"/v1/action-items/{item['id']}/resolve", json={"resolution": "done"}, headers=tenant.admin)
    assert twice.status_code == 409
    # cancelled: F-1's reminders resume with the step it missed
    await real_run(api, tenant.admin, MONDAY + timedelta(days=1))
    (resumed,) = await messaging.take_and_accept()
    assert [i.number for i in resumed.invoices if i.triggered] == ["F-1"]
    events = [e for e in messaging.events if e["type"] == "dunning.action_item_changed"]
    assert [e["status"] for e in events] == ["open", "open", "cancelled"]
    assert [e["change"] for e in events] == ["created", "assigned", "resolved"]
    assert {e["customer_external_id"] for e in events} == {"ERP-C-ANA"}
    assert events[-1]["resolution_reason"] == "Pagará la semana próxima"


async def test_action_step_with_no_channel_left_opens_the_item_and_a_task_at_once(api, stack):
    tenant = await dunning_tenant(api, stack)
    await create_strategy(api, tenant.admin)
    portfolio = Portfolio(stack, tenant.id)
    messaging = Messaging(stack, tenant.id)
    bea = await portfolio.customer("Bea", whatsapp="+5491155552222")  # the action step wants email or sms
    await portfolio.invoice(bea, "F-9", due=MONDAY - timedelta(days=46), issue=MONDAY - timedelta(days=76))
    run = await real_run(api, tenant.admin, MONDAY)
    assert run["counts"]["tasks"] == 1
    assert run["delivery"] == {"task": 1}
    assert await messaging.take() == []
    (task,) = messaging.tasks
    assert task.customer_id == bea
    assert task.source == "dunning"
    assert "email: no contact" in task.description
    (item,) = (await api.get("/v1/action-items", headers=tenant.admin)).json()["items"]
    assert item["notice_state"] == "failed"  # no channel: the notice never went out
    await real_run(api, tenant.admin, MONDAY + timedelta(days=1))
    await messaging.take()
    assert len(messaging.tasks) == 1  # recorded as done: no second task


async def test_action_item_validation_and_isolation(api, stack):
    tenant = await dunning_tenant(api, stack)
    other = await dunning_tenant(api, stack)
    portfolio = Portfolio(stack, tenant.id)
    ana = await portfolio.customer("Ana", email="ana@example.com")
    f1 = await portfolio.invoice(ana, "F-1", due=MONDAY)
    foreign = await api.post(
        "/v1/action-items",
        json={"customer_id": str(ana), "invoice_ids": [str(f1)], "action": "call"},
        headers=other.admin,
    )
    assert foreign.status_code == 404
    wrong_invoice = await api.post(
        "/v1/action-items",
        json={"customer_id": str(ana), "invoice_ids": [str(uuid.uuid4())], "action": "call"},
        headers=tenant.admin,
    )
    assert wrong_invoice.status_code == 422
    assert wrong_invoice.json()["errors"][0]["field"] == "invoice_ids"
    assert (await api.get(f"/v1/action-items/{uuid.uuid4()}", headers=tenant.admin)).status_code == 404
