"""Seed 000, alarm 1: "Diariamente enviar a la persona responsable de tomar las acciones con clientes (suspender
cuenta, iniciar acciones legales, castigar la venta, etc.) la lista de clientes con los que debe tomar acciones."
The open action items dunning announces -> the action owner (receivables' setting), else each item's assignee."""

from datetime import date

from shared.identity import MANAGER
from tests.alarms.support import Portfolio, alarms_tenant, collector, lines_to, run, sent_communications
from tests.support import create_user

AS_OF = date(2026, 11, 23)


async def test_the_action_owner_gets_the_customers_to_act_on_every_day(api, stack):
    tenant = await alarms_tenant(api, stack)
    owner, _ = await create_user(api, tenant, MANAGER)
    carla, _ = await collector(api, stack, tenant)
    response = await api.patch("/v1/receivables-settings", json={"action_owner_id": owner["id"]}, headers=tenant.admin)
    assert response.status_code == 200, response.text
    p = Portfolio(stack, tenant.id)
    for name in ("Ferretería Norte", "Bazar Sur", "Casa Centro", "Librería Oeste"):
        await p.customer(name, carla["id"])
    await p.invoice("Ferretería Norte", "A-1", "1500.00")
    await p.invoice("Bazar Sur", "B-1", "300.00")
    await p.invoice("Bazar Sur", "B-2", "100.00", status="paid", open_amount="0")
    await p.invoice("Casa Centro", "C-1", "50.00", status="paid", open_amount="0")
    await p.invoice("Librería Oeste", "O-1", "80.00")
    await p.action_item("Ferretería Norte", ["A-1"], "suspend_service", date(2026, 11, 20), assignee_id=carla["id"])
    await p.action_item("Bazar Sur", ["B-1", "B-2"], "legal", date(2026, 11, 18))
    await p.action_item("Casa Centro", ["C-1"], "write_off", date(2026, 11, 21))  # all paid: nothing to act on
    call = await p.action_item("Librería Oeste", ["O-1"], "call", date(2026, 11, 22))
    await p.action_item("Librería Oeste", ["O-1"], "call", date(2026, 11, 22), status="done", item_id=call)
    await p.action_item("Librería Oeste", ["O-1"], "legal", date(2026, 11, 24))  # after the as-of date

    result = await run(api, tenant.admin, as_of=AS_OF.isoformat(), alarms=["actions"])
    assert result["counts"] == {"digests": 1, "rows": 2, "already_sent": 0}
    sent = await sent_communications(stack)
    assert lines_to(sent, owner["email"]) == [
        "Bazar Sur: iniciar acciones legales, desde el 18 nov 2026 (5 días), 1 factura, saldo $ 300,00",
        "Ferretería Norte: suspender el servicio, desde el 20 nov 2026 (3 días), 1 factura, saldo $ 1.500,00",
    ]
    (digest,) = result["digests"]
    assert digest["audience"] == "action_owner" and digest["period"] == "2026-11-23"
    assert digest["title"] == "Clientes con los que se deben tomar acciones"
    assert digest["summary"] == "2 clientes con acciones pendientes (2 acciones), saldo $ 1.800,00."
    detail = (await api.get(f"/v1/alarms/{digest['id']}", headers=tenant.admin)).json()
    assert [(r["customer_name"], r["action"], r["days_open"], r["open_totals"]) for r in detail["rows"]] == [
        ("Bazar Sur", "legal", 5, {"ARS": "300.00"}),
        ("Ferretería Norte", "suspend_service", 3, {"ARS": "1500.00"}),
    ]

    # no action owner: each item goes to its assignee; an item with none has nobody to go to
    await api.patch("/v1/receivables-settings", json={"action_owner_id": None}, headers=tenant.admin)
    dry = await run(api, tenant.admin, as_of="2026-11-24", alarms=["actions"], dry_run=True)
    assert [(d["recipient"]["id"], d["row_count"]) for d in dry["digests"]] == [(carla["id"], 1)]
    assert dry["unrouted"] == [
        {
            "alarm": "actions",
            "audience": "action_owner",
            "reason": "no_action_owner",
            "recipient_id": None,
            "rows": 2,  # Bazar Sur's item, and Oeste's new one (24 November)
            "customers": 2,
        }
    ]
