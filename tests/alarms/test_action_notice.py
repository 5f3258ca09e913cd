"""Issue 10: the daily actions list says whether the customer actually got the action notice (seed 000: the notice
precedes suspending the service or going to legal), as dunning announces it with each action item."""

from datetime import date

from shared.identity import MANAGER
from tests.alarms.support import Portfolio, alarms_tenant, collector, lines_to, run, sent_communications
from tests.support import create_user

AS_OF = date(2026, 11, 23)


async def test_the_actions_list_shows_the_notice_state_of_each_item(api, stack):
    tenant = await alarms_tenant(api, stack)
    owner, _ = await create_user(api, tenant, MANAGER)
    carla, _ = await collector(api, stack, tenant)
    await api.patch("/v1/receivables-settings", json={"action_owner_id": owner["id"]}, headers=tenant.admin)
    p = Portfolio(stack, tenant.id)
    for name in ("Ferretería Norte", "Bazar Sur", "Casa Centro"):
        await p.customer(name, carla["id"])
    await p.invoice("Ferretería Norte", "A-1", "1500.00")
    await p.invoice("Bazar Sur", "B-1", "300.00")
    await p.invoice("Casa Centro", "C-1", "50.00")
    item = await p.action_item(
        "Ferretería Norte", ["A-1"], "suspend_service", date(2026, 11, 20), notice_state="pending"
    )
    await p.action_item(  # the notice went out later: the newer event wins
        "Ferretería Norte", ["A-1"], "suspend_service", date(2026, 11, 20), item_id=item, notice_state="sent"
    )
    await p.action_item("Bazar Sur", ["B-1"], "legal", date(2026, 11, 18), notice_state="failed")
    await p.action_item("Casa Centro", ["C-1"], "call", date(2026, 11, 21))  # created by a person: no notice

    result = await run(api, tenant.admin, as_of=AS_OF.isoformat(), alarms=["actions"])
    assert lines_to(await sent_communications(stack), owner["email"]) == [
        "Bazar Sur: iniciar acciones legales, desde el 18 nov 2026 (5 días), 1 factura, saldo $ 300,00; "
        "el aviso no llegó",
        "Ferretería Norte: suspender el servicio, desde el 20 nov 2026 (3 días), 1 factura, saldo $ 1.500,00; "
        "aviso enviado",
        "Casa Centro: llamar, desde el 21 nov 2026 (2 días), 1 factura, saldo $ 50,00",
    ]
    (digest,) = result["digests"]
    detail = (await api.get(f"/v1/alarms/{digest['id']}", headers=tenant.admin)).json()
    assert [(r["customer_name"], r["notice_state"]) for r in detail["rows"]] == [
        ("Bazar Sur", "failed"),
        ("Ferretería Norte", "sent"),
        ("Casa Centro", None),
    ]
