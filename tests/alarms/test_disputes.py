"""Seed 000, alarm 4: "Semanalmente se envía al responsable de cada área la lista de facturas que tienen una disputa
a resolver por ellos. Además se envía otro mail semanal a cada cobrador con la lista de facturas que sus clientes
que están con una disputa pendiente de resolver, indicando el área responsable de resolverla." The areas and their
responsible people come from the real receivables API."""

from datetime import UTC, date, datetime
from typing import Any

from tests.alarms.support import (
    Portfolio,
    alarms_tenant,
    collector,
    deliver_gateway,
    lines_to,
    run,
    sent_communications,
)
from tests.support import create_user

MONDAY = date(2026, 11, 23)


def at(day: int, month: int = 11) -> datetime:
    """An event's time: noon in Buenos Aires."""
    return datetime(2026, month, day, 15, 0, tzinfo=UTC)


async def post(api: Any, path: str, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = await api.post(path, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_each_area_and_each_collector_get_the_disputes_weekly(api, stack):
    tenant = await alarms_tenant(api, stack)
    carla, _ = await collector(api, stack, tenant)
    bruno, _ = await collector(api, stack, tenant)
    marcos_user, _ = await create_user(api, tenant, "supervisor")
    await deliver_gateway(stack)
    lucia = await post(
        api, "/v1/people", tenant.admin, kind="supervisor", name="Lucía Logística", email="lucia@empresa.example"
    )
    # a person without an email of their own, who is a user: the digest goes to the user's email
    marcos = await post(api, "/v1/people", tenant.admin, kind="staff", name="Marcos", user_id=marcos_user["id"])
    logistica = await post(api, "/v1/dispute-areas", tenant.admin, name="Logística", responsible_id=lucia["id"])
    comercial = await post(api, "/v1/dispute-areas", tenant.admin, name="Comercial", responsible_id=marcos["id"])
    precios = await post(api, "/v1/dispute-areas", tenant.admin, name="Precios")

    p = Portfolio(stack, tenant.id)
    await p.customer("Ferretería Norte", carla["id"])
    await p.customer("Bazar Sur", bruno["id"])
    await p.customer("Casa Centro", carla["id"])
    for number, customer, area, day in (
        ("D-1", "Ferretería Norte", logistica, 2),
        ("D-2", "Bazar Sur", comercial, 10),
        ("D-3", "Ferretería Norte", logistica, 15),
        ("D-4", "Casa Centro", None, 16),
        ("D-5", "Bazar Sur", precios, 3),
    ):
        await p.invoice(customer, number, "100.00", at=at(1))
        await p.change_invoice(number, at=at(day), status="dispute", dispute_area_id=area["id"] if area else None)
    await p.change_invoice("D-3", at=at(20), dispute_area_id=logistica["id"])  # same status: still since the 15th
    await p.invoice("Casa Centro", "D-6", "100.00", status="dispute", open_amount="0")  # nothing owed

    result = await run(api, tenant.admin, as_of=MONDAY.isoformat(), alarms=["disputes"])
    by_audience = {(d["audience"], d["recipient"]["name"]): d for d in result["digests"]}
    assert set(by_audience) == {
        ("area", "Lucía Logística"),
        ("area", "Marcos"),
        ("collector", carla["full_name"]),
        ("collector", bruno["full_name"]),
    }
    sent = await sent_communications(stack)
    assert lines_to(sent, "lucia@empresa.example") == [
        "Ferretería Norte, factura D-1 (Logística): en disputa desde el 2 nov 2026 (21 días), saldo $ 100,00",
        "Ferretería Norte, factura D-3 (Logística): en disputa desde el 15 nov 2026 (8 días), saldo $ 100,00",
    ]
    assert lines_to(sent, marcos_user["email"]) == [
        "Bazar Sur, factura D-2 (Comercial): en disputa desde el 10 nov 2026 (13 días), saldo $ 100,00"
    ]
    assert lines_to(sent, carla["email"]) == [
        "Ferretería Norte, factura D-1: en disputa con Logística desde el 2 nov 2026 (21 días), saldo $ 100,00",
        "Ferretería Norte, factura D-3: en disputa con Logística desde el 15 nov 2026 (8 días), saldo $ 100,00",
        "Casa Centro, factura D-4: en disputa con ningún área asignada desde el 16 nov 2026 (7 días), saldo $ 100,00",
    ]
    assert lines_to(sent, bruno["email"]) == [
        "Bazar Sur, factura D-5: en disputa con Precios desde el 3 nov 2026 (20 días), saldo $ 100,00",
        "Bazar Sur, factura D-2: en disputa con Comercial desde el 10 nov 2026 (13 días), saldo $ 100,00",
    ]
    to_lucia = next(c for c in sent if c.to == "lucia@empresa.example")
    assert to_lucia.data["title"] == "Facturas en disputa a resolver por su área"
    assert to_lucia.data["summary"] == "2 facturas con una disputa a resolver por Logística, saldo $ 200,00."
    assert by_audience[("area", "Marcos")]["recipient"] == {
        "id": marcos["id"],
        "kind": "person",
        "user_id": marcos_user["id"],
        "name": "Marcos",
        "email": marcos_user["email"],
    }
    assert sorted((u["reason"], u["rows"]) for u in result["unrouted"]) == [
        ("area_without_responsible", 1),
        ("no_area", 1),
    ]

    # Lucía resolves D-1 (back to normal); the same week sends nothing new; the next week lists D-3 only
    await p.change_invoice("D-1", at=at(24), status="normal", dispute_area_id=None)
    same_week = await run(api, tenant.admin, as_of="2026-11-27", alarms=["disputes"])
    assert same_week["counts"]["digests"] == 0 and same_week["counts"]["already_sent"] == 4
    next_week = await run(api, tenant.admin, as_of="2026-11-30", alarms=["disputes"])
    to_lucia = next(d for d in next_week["digests"] if d["recipient"]["id"] == lucia["id"])
    assert (to_lucia["period"], to_lucia["row_count"]) == ("2026-W49", 1)
    preview = await api.get(
        "/v1/alarms/preview",
        params={"alarm": "disputes", "recipient": lucia["id"], "as_of": "2026-11-30"},
        headers=tenant.admin,
    )
    assert preview.status_code == 200, preview.text
    (shown,) = preview.json()["items"]
    assert shown["status"] == "already_sent" and [r["number"] for r in shown["rows"]] == ["D-3"]
    assert shown["rows"][0]["area_name"] == "Logística" and shown["rows"][0]["days_in_dispute"] == 15
