from tests.messaging.support import communication, deliver, messages, messaging_tenant, send, settings


async def test_email_end_to_end(api, stack, mailbox):
    tenant = await messaging_tenant(api, stack)
    response = await api.patch("/v1/messaging-settings", json={"email": {"quiet_hours": None}}, headers=tenant.admin)
    assert response.status_code == 200, response.text
    worker = settings(smtp_port=mailbox.port)
    await send(stack, tenant.id, [communication()])
    await deliver(stack, worker)
    rows = await messages(stack, tenant.id)
    assert [r.state for r in rows] == ["sent"], [(r.state, r.error) for r in rows]
    assert len(mailbox.messages()) == 1
