"""Issue 18's manager's alarms (seed 004: "El cobrador esta sobrecargado y nadie se detiene a observar su labor")
and the collectors' weekly warning signs (seed 001): events through alarms' inbox -> run -> the exact digests, to
the right recipient, once per period; nothing when there is nothing."""

import uuid
from datetime import UTC, date, datetime
from typing import Any

from alarms_service.digests import rules
from shared.calendar import BusinessCalendar
from shared.contracts.receivables import (
    CustomerSigns,
    OutcomeRecorded,
    TaskChanged,
    WarningSign,
    WarningSignKind,
    WarningSignsChanged,
)
from tests.alarms.support import Portfolio, alarms_tenant, collector, deliver_gateway, feed, run, sent_communications
from tests.support import Stack, TenantCtx, create_user

AS_OF = date(2026, 11, 23)  # a Monday (ISO week 2026-W48)


async def manager(api: Any, stack: Stack, tenant: TenantCtx) -> dict:
    user, _ = await create_user(api, tenant, "manager")
    await deliver_gateway(stack)
    return user


async def task(
    stack: Stack,
    tenant_id: uuid.UUID,
    title: str,
    assignee: dict | None,
    due: date,
    status: str = "open",
    customer_id: uuid.UUID | None = None,
    task_id: uuid.UUID | None = None,
    revision: int = 1,
) -> uuid.UUID:
    event = TaskChanged(
        task_id=task_id or uuid.uuid4(),
        revision=revision,
        customer_id=customer_id,
        title=title,
        assignee_id=uuid.UUID(assignee["id"]) if assignee else None,
        due_date=due,
        status=status,
    )
    await feed(stack, tenant_id, [event])
    return event.task_id


def digests_to(result: dict[str, Any]) -> dict[tuple[str, str], list[str]]:
    """The digests a run answered: (audience, recipient id) -> lines."""
    return {(d["audience"], d["recipient"]["id"]): d["lines"] for d in result["digests"]}


async def test_tasks_overdue_go_to_each_assignee_once_a_day(api, stack):
    tenant = await alarms_tenant(api, stack)
    carla, _ = await collector(api, stack, tenant)
    bruno, _ = await collector(api, stack, tenant)
    p = Portfolio(stack, tenant.id)
    norte = await p.customer("Ferretería Norte", carla["id"])
    call = await task(stack, tenant.id, "Llamar por A-1", carla, date(2026, 11, 20), customer_id=norte)
    await task(stack, tenant.id, "Llamar por A-1", carla, date(2026, 11, 20), customer_id=norte, task_id=call)
    await task(stack, tenant.id, "Revisar acuerdo", carla, AS_OF)  # due today: not overdue yet
    await task(stack, tenant.id, "Enviar estado de cuenta", bruno, date(2026, 11, 18))
    await task(stack, tenant.id, "Visitar", bruno, date(2026, 11, 2), status="done")
    await task(stack, tenant.id, "Sin dueño", None, date(2026, 11, 1))

    first = await run(api, tenant.admin, as_of=AS_OF.isoformat(), alarms=["tasks_overdue"])
    assert first["counts"] == {"digests": 2, "rows": 2, "already_sent": 0}
    assert digests_to(first) == {
        ("assignee", carla["id"]): ["Llamar por A-1 (Ferretería Norte): vencida el 20 nov 2026 (3 días)"],
        ("assignee", bruno["id"]): ["Enviar estado de cuenta: vencida el 18 nov 2026 (5 días)"],
    }
    assert [(u["reason"], u["rows"]) for u in first["unrouted"]] == [("no_assignee", 1)]
    sent = await sent_communications(stack)
    to_carla = next(c for c in sent if c.to == carla["email"])
    assert to_carla.data["title"] == "Tareas vencidas"
    assert to_carla.data["summary"] == "Tiene 1 tarea vencida sin completar."

    again = await run(api, tenant.admin, as_of=AS_OF.isoformat(), alarms=["tasks_overdue"])
    assert again["counts"] == {"digests": 0, "rows": 0, "already_sent": 2}
    assert len(await sent_communications(stack)) == 2

    # carla completes her call; the next day her review is overdue
    await task(stack, tenant.id, "Llamar por A-1", carla, date(2026, 11, 20), "done", norte, call, revision=3)
    second = await run(api, tenant.admin, as_of="2026-11-24", alarms=["tasks_overdue"])
    assert digests_to(second)[("assignee", carla["id"])] == ["Revisar acuerdo: vencida el 23 nov 2026 (1 día)"]


async def test_nothing_to_say_sends_nothing(api, stack):
    tenant = await alarms_tenant(api, stack)
    await manager(api, stack, tenant)
    carla, _ = await collector(api, stack, tenant)
    p = Portfolio(stack, tenant.id)
    await p.customer("Al Día", carla["id"])
    await p.invoice("Al Día", "A-1", due=date(2026, 12, 30))
    patch = {"overdue_threshold": {"thresholds": {"ARS": "10.00"}}, "contact_rate": {"contacts_per_day": 1}}
    assert (await api.patch("/v1/alarm-settings", json=patch, headers=tenant.admin)).status_code == 200
    # carla's contact keeps the contact rate quiet (one a business day of the week before)
    for day in range(16, 21):
        await contact(stack, tenant.id, carla, datetime(2026, 11, day, 15, tzinfo=UTC))
    alarms = [
        "tasks_overdue",
        "unassigned_customers",
        "workload",
        "overdue_threshold",
        "contact_rate",
        "warning_signs",
    ]
    result = await run(api, tenant.admin, as_of=AS_OF.isoformat(), alarms=alarms)
    assert result["counts"] == {"digests": 0, "rows": 0, "already_sent": 0}
    assert result["unrouted"] == []
    assert await sent_communications(stack) == []


async def test_customers_with_overdue_debt_and_no_collector_go_to_the_managers(api, stack):
    tenant = await alarms_tenant(api, stack)
    carla, _ = await collector(api, stack, tenant)
    p = Portfolio(stack, tenant.id)
    await p.customer("Sin Dueño", None)
    await p.customer("Futuro", None)
    await p.customer("Asignado", carla["id"])
    await p.invoice("Sin Dueño", "S-1", "1000.00", due=date(2026, 10, 1))
    await p.invoice("Sin Dueño", "S-2", "50.00", "USD", due=date(2026, 11, 1))
    await p.invoice("Sin Dueño", "S-3", "70.00", status="paid", open_amount="0")
    await p.invoice("Futuro", "F-1", due=date(2026, 12, 15))  # not overdue yet
    await p.invoice("Asignado", "A-1")

    # no manager yet: the admins hear of it
    first = await run(api, tenant.admin, as_of=AS_OF.isoformat(), alarms=["unassigned_customers"])
    assert digests_to(first) == {
        ("manager", str(tenant.admin_id)): [
            "Sin Dueño: 2 facturas vencidas desde el 1 oct 2026 (53 días), saldo $ 1.000,00; US$ 50,00"
        ]
    }
    assert first["digests"][0]["summary"] == (
        "1 cliente con deuda vencida y sin cobrador asignado, saldo $ 1.000,00; US$ 50,00."
    )
    # with a manager, the manager alone
    mario = await manager(api, stack, tenant)
    second = await run(api, tenant.admin, as_of="2026-11-24", alarms=["unassigned_customers"])
    assert list(digests_to(second)) == [("manager", mario["id"])]
    assert (await run(api, tenant.admin, as_of="2026-11-24", alarms=["unassigned_customers"]))["counts"][
        "already_sent"
    ] == 1
    await p.change_customer("Sin Dueño", collector_id=uuid.UUID(carla["id"]))
    third = await run(api, tenant.admin, as_of="2026-11-25", alarms=["unassigned_customers"])
    assert third["digests"] == []


async def test_workload_imbalance_goes_to_the_managers_weekly(api, stack):
    tenant = await alarms_tenant(api, stack)
    mario = await manager(api, stack, tenant)
    carla, _ = await collector(api, stack, tenant)
    bruno, _ = await collector(api, stack, tenant)
    dani, _ = await collector(api, stack, tenant)
    p = Portfolio(stack, tenant.id)
    for n in range(4):
        await p.customer(f"Carla {n}", carla["id"])
        await p.invoice(f"Carla {n}", f"C-{n}", "1000.00")
    await p.customer("Bruno 0", bruno["id"])
    await p.invoice("Bruno 0", "B-0", "1000.00")
    await p.customer("Dani 0", dani["id"])
    await p.invoice("Dani 0", "D-0", "1000.00")
    await p.invoice("Dani 0", "D-1", "900.00", due=date(2026, 12, 20))  # not overdue: not a load yet

    first = await run(api, tenant.admin, as_of=AS_OF.isoformat(), alarms=["workload"], dry_run=True, rows=True)
    (digest,) = first["digests"]
    assert (digest["recipient"]["id"], digest["period"]) == (mario["id"], "2026-W48")
    (row,) = digest["rows"]
    assert row["collector_id"] == carla["id"]
    assert (row["overdue_customers"], row["team_mean_customers"], row["percent_of_mean"]) == (4, "2.0", 200)
    assert row["over_customers"] is True and row["over_currencies"] == ["ARS"]
    assert digest["lines"] == [
        f"{carla['full_name']}: 4 clientes con deuda vencida (media del equipo 2.0), saldo $ 4.000,00; "
        "media $ 2.000,00; 200 % de la media"
    ]
    assert digest["summary"] == (
        "1 cobrador por encima de la media del equipo en más de un 50 % (clientes o monto vencido)."
    )
    sent = await run(api, tenant.admin, as_of=AS_OF.isoformat(), alarms=["workload"])
    assert sent["counts"]["digests"] == 1
    # the same week again: nothing new
    again = await run(api, tenant.admin, as_of="2026-11-25", alarms=["workload"])
    assert again["counts"] == {"digests": 0, "rows": 0, "already_sent": 1}
    # a wider spread: carla is within it
    patch = {"workload": {"spread_percent": 100}}
    assert (await api.patch("/v1/alarm-settings", json=patch, headers=tenant.admin)).status_code == 200
    wider = await run(api, tenant.admin, as_of="2026-11-30", alarms=["workload"])
    assert wider["digests"] == []


async def test_a_customer_crossing_the_threshold_is_told_once_per_crossing(api, stack):
    tenant = await alarms_tenant(api, stack)
    mario = await manager(api, stack, tenant)
    carla, _ = await collector(api, stack, tenant)
    bruno, _ = await collector(api, stack, tenant)
    patch = {"overdue_threshold": {"thresholds": {"ars": "5000", "USD": "900"}}}
    response = await api.patch("/v1/alarm-settings", json=patch, headers=tenant.admin)
    assert response.status_code == 200, response.text
    assert response.json()["overdue_threshold"]["thresholds"] == {"ARS": "5000", "USD": "900"}
    p = Portfolio(stack, tenant.id)
    await p.customer("Norte", carla["id"])
    await p.customer("Sur", bruno["id"])
    await p.invoice("Norte", "N-1", "3000.00", due=date(2026, 10, 1))
    await p.invoice("Norte", "N-2", "3000.00", due=date(2026, 11, 1))
    await p.invoice("Norte", "N-3", "9000.00", due=date(2026, 12, 10))  # not overdue
    await p.invoice("Sur", "S-1", "4000.00")  # under the threshold
    await p.invoice("Sur", "S-2", "800.00", "USD")

    first = await run(api, tenant.admin, as_of=AS_OF.isoformat(), alarms=["overdue_threshold"])
    line = "Norte: deuda vencida $ 6.000,00 (umbral $ 5.000,00), 2 facturas, vencida desde el 1 oct 2026"
    manager_line = line.replace("Norte:", f"Norte ({carla['full_name']}):")
    assert digests_to(first) == {("collector", carla["id"]): [line], ("manager", mario["id"]): [manager_line]}
    # told once: the next day nothing, though Norte still owes as much
    assert (await run(api, tenant.admin, as_of="2026-11-24", alarms=["overdue_threshold"]))["digests"] == []
    # Norte pays N-1 (under again: forgotten), Sur's USD crosses
    await p.change_invoice("N-1", status="paid", open_amount="0")
    await p.change_invoice("S-2", open_amount="950.00", amount="950.00")
    third = await run(api, tenant.admin, as_of="2026-11-25", alarms=["overdue_threshold"])
    assert set(digests_to(third)) == {("collector", bruno["id"]), ("manager", mario["id"])}
    # Norte crosses again: told again
    await p.invoice("Norte", "N-4", "2500.00", due=date(2026, 11, 20))
    fourth = await run(api, tenant.admin, as_of="2026-11-26", alarms=["overdue_threshold"])
    assert digests_to(fourth)[("collector", carla["id"])] == [
        "Norte: deuda vencida $ 5.500,00 (umbral $ 5.000,00), 2 facturas, vencida desde el 1 nov 2026"
    ]


async def contact(stack: Stack, tenant_id: uuid.UUID, user: dict, at: datetime, kind: str = "no_commitment") -> None:
    event = OutcomeRecorded(
        outcome_id=uuid.uuid4(),
        customer_id=uuid.uuid4(),
        kind=kind,
        recorded_by=f"user:{user['id']}",
        recorded_at=at,
        occurred_at=at,
    )
    await feed(stack, tenant_id, [event])


async def test_collectors_with_fewer_contacts_than_planned_go_to_the_managers(api, stack):
    tenant = await alarms_tenant(api, stack)
    mario = await manager(api, stack, tenant)
    carla, _ = await collector(api, stack, tenant)
    bruno, _ = await collector(api, stack, tenant)
    patch = {"contact_rate": {"contacts_per_day": 2}}
    assert (await api.patch("/v1/alarm-settings", json=patch, headers=tenant.admin)).status_code == 200
    for n in range(3):
        await contact(stack, tenant.id, carla, datetime(2026, 11, 17 + n, 15, tzinfo=UTC))
    await contact(stack, tenant.id, carla, datetime(2026, 11, 23, 15, tzinfo=UTC))  # this week: not counted
    await contact(stack, tenant.id, carla, datetime(2026, 11, 16, 2, tzinfo=UTC))  # Sunday the 15th in Buenos Aires
    for n in range(12):
        await contact(stack, tenant.id, bruno, datetime(2026, 11, 16 + n % 5, 14, tzinfo=UTC))

    days = rules.business_days(date(2026, 11, 16), date(2026, 11, 23), BusinessCalendar("AR"))
    result = await run(api, tenant.admin, as_of=AS_OF.isoformat(), alarms=["contact_rate"], dry_run=True, rows=True)
    (digest,) = result["digests"]
    assert (digest["recipient"]["id"], digest["period"]) == (mario["id"], "2026-W48")
    (row,) = digest["rows"]
    assert (row["collector_id"], row["contacts"], row["planned"], row["business_days"]) == (
        carla["id"],
        3,
        2 * days,
        days,
    )
    assert digest["lines"] == [
        f"{carla['full_name']}: 3 de {2 * days} planificados ({300 // (2 * days)} %) del 16 nov 2026 al 22 nov 2026"
    ]
    assert (await run(api, tenant.admin, as_of=AS_OF.isoformat(), alarms=["contact_rate"]))["counts"]["digests"] == 1
    assert (await run(api, tenant.admin, as_of="2026-11-26", alarms=["contact_rate"]))["counts"]["already_sent"] == 1


def signs(customer_id: uuid.UUID, collector_id: str, risk: str | None, *kinds: tuple[str, dict]) -> CustomerSigns:
    return CustomerSigns(
        customer_id=customer_id,
        collector_id=uuid.UUID(collector_id),
        computed_risk_level=risk,
        computed_risk_reasons=[kind for kind, _ in kinds],
        signs=[
            WarningSign(sign=WarningSignKind(kind), evidence=evidence, first_seen_on=date(2026, 11, 20))
            for kind, evidence in kinds
        ],
    )


async def test_each_collector_gets_their_customers_warning_signs_weekly(api, stack):
    tenant = await alarms_tenant(api, stack)
    carla, _ = await collector(api, stack, tenant)
    bruno, _ = await collector(api, stack, tenant)
    p = Portfolio(stack, tenant.id)
    norte = await p.customer("Norte", carla["id"])
    casa = await p.customer("Casa", carla["id"])
    sur = await p.customer("Sur", bruno["id"])
    growing = {
        "currency": "ARS",
        "overdue_60_days_ago": "1000",
        "overdue_30_days_ago": "2000",
        "overdue_now": "4000",
    }
    broken = {"broken": 3, "window_days": 90, "last_broken_on": "2026-11-18"}
    refresh = WarningSignsChanged(
        day=date(2026, 11, 22),
        customers=[
            signs(casa, carla["id"], "medium", ("broken_promises", broken)),
            signs(norte, carla["id"], "high", ("growing_overdue", growing), ("bad_contacts", {})),
            signs(sur, bruno["id"], None),  # no sign any more
        ],
    )
    await feed(stack, tenant.id, [refresh])

    first = await run(api, tenant.admin, as_of=AS_OF.isoformat(), alarms=["warning_signs"])
    assert digests_to(first) == {
        ("collector", carla["id"]): [
            "Norte (riesgo alto): deuda vencida en aumento ($ 1.000,00 hace 60 días, $ 2.000,00 hace 30, "
            "$ 4.000,00 hoy); contactos rebotados o inválidos",
            "Casa (riesgo medio): incumplió 3 promesas en 90 días",
        ]
    }
    assert first["digests"][0]["summary"] == "2 clientes con señales de alerta de dificultades de pago."
    assert (await run(api, tenant.admin, as_of="2026-11-27", alarms=["warning_signs"]))["counts"]["already_sent"] == 1
    # Norte's signs are gone the next week
    later = WarningSignsChanged(day=date(2026, 11, 29), customers=[signs(norte, carla["id"], "low")])
    await feed(stack, tenant.id, [later])
    second = await run(api, tenant.admin, as_of="2026-11-30", alarms=["warning_signs"])
    assert [line.split(" (")[0] for line in digests_to(second)[("collector", carla["id"])]] == ["Casa"]


async def test_the_new_settings_are_shown_and_validated(api, stack):
    tenant = await alarms_tenant(api, stack)
    settings = (await api.get("/v1/alarm-settings", headers=tenant.admin)).json()
    assert settings["workload"] | {"next_at": None} == {
        "enabled": False,
        "cadence": "weekly",
        "weekday": "monday",
        "hour": 8,
        "spread_percent": 50,
        "next_at": None,
    }
    assert settings["overdue_threshold"]["thresholds"] == {}
    assert settings["contact_rate"]["contacts_per_day"] == 20
    assert settings["tasks_overdue"]["enabled"] is False and settings["warning_signs"]["cadence"] == "weekly"
    on = {"tasks_overdue": {"enabled": True}, "warning_signs": {"enabled": True, "weekday": "friday"}}
    changed = (await api.patch("/v1/alarm-settings", json=on, headers=tenant.admin)).json()
    assert changed["tasks_overdue"]["enabled"] and changed["tasks_overdue"]["next_at"]
    assert changed["warning_signs"]["weekday"] == "friday"
    cases = [
        ({"workload": {"spread_percent": 0}}, "workload.spread_percent"),
        ({"contact_rate": {"contacts_per_day": 0}}, "contact_rate.contacts_per_day"),
        ({"overdue_threshold": {"thresholds": {"ARS": "-1"}}}, "overdue_threshold.thresholds.ARS"),
        ({"overdue_threshold": {"thresholds": {"PESOS": "10"}}}, "overdue_threshold.thresholds.PESOS"),
        ({"overdue_threshold": {"thresholds": {"usd": "1", "USD": "2"}}}, "overdue_threshold.thresholds.USD"),
        ({"tasks_overdue": {"threshold_days": 3}}, "tasks_overdue.threshold_days"),
    ]
    for body, field in cases:
        response = await api.patch("/v1/alarm-settings", json=body, headers=tenant.admin)
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert field in [e["field"] for e in response.json()["errors"]], (body, response.json())
