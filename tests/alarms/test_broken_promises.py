"""Seed 000, alarm 2: "Enviar un mail diario a cada cobrador con la lista de sus clientes que tienen Promesas de
Pago incumplidas. Estos clientes deben ser gestionados con suma urgencia." Events through alarms' inbox -> run ->
the exact digests, once per day."""

from datetime import date

from tests.alarms.support import Portfolio, alarms_tenant, collector, lines_to, run, sent_communications

AS_OF = date(2026, 11, 23)
PTP = "promise_to_pay"


async def test_each_collector_gets_their_customers_with_broken_promises_once_a_day(api, stack):
    tenant = await alarms_tenant(api, stack)
    carla, _ = await collector(api, stack, tenant)
    bruno, _ = await collector(api, stack, tenant)
    p = Portfolio(stack, tenant.id)
    await p.customer("Ferretería Norte", carla["id"])
    await p.customer("Bazar Sur", bruno["id"])
    await p.customer("Casa Centro", carla["id"])
    await p.invoice("Ferretería Norte", "A-1", "1500.00", status=PTP, promised_date=date(2026, 11, 18))
    await p.invoice("Ferretería Norte", "A-2", "200.00", "USD", status=PTP, promised_date=date(2026, 11, 19))
    await p.invoice("Bazar Sur", "B-1", "300.00", status=PTP, promised_date=date(2026, 11, 17))
    await p.invoice("Casa Centro", "C-1", "50.00", status=PTP, promised_date=date(2026, 9, 28))
    await p.invoice("Casa Centro", "C-2", "75.00", status=PTP, promised_date=date(2026, 11, 16))
    await p.break_promise("A-1", date(2026, 11, 18), date(2026, 11, 20), collector_id=carla["id"])
    await p.break_promise("A-2", date(2026, 11, 19), date(2026, 11, 21), collector_id=carla["id"])
    await p.break_promise("B-1", date(2026, 11, 17), date(2026, 11, 22))  # no collector on the event: the customer's
    await p.break_promise("C-1", date(2026, 9, 28), date(2026, 10, 1))  # more than 30 days ago: no longer listed
    await p.break_promise("C-2", date(2026, 11, 16), date(2026, 11, 18))
    await p.change_invoice("C-2", status=PTP, promised_date=date(2026, 11, 30))  # handled: a new promise

    first = await run(api, tenant.admin, as_of=AS_OF.isoformat(), alarms=["broken_promises"])
    assert first["counts"] == {"digests": 2, "rows": 2, "already_sent": 0}
    assert first["unrouted"] == []
    sent = await sent_communications(stack)
    assert sorted(c.to for c in sent) == sorted([carla["email"], bruno["email"]])
    assert lines_to(sent, carla["email"]) == [
        "Ferretería Norte: 2 promesas incumplidas (A-1 prometida para el 18 nov 2026; A-2 prometida para el "
        "19 nov 2026), saldo $ 1.500,00; US$ 200,00"
    ]
    assert lines_to(sent, bruno["email"]) == [
        "Bazar Sur: 1 promesa incumplida (B-1 prometida para el 17 nov 2026), saldo $ 300,00"
    ]
    to_carla = next(c for c in sent if c.to == carla["email"])
    assert to_carla.kind == "alarm_digest" and to_carla.channel == "email" and to_carla.language == "es"
    assert to_carla.customer is None and to_carla.source == "alarms"
    assert to_carla.recipient_name == carla["full_name"]
    assert to_carla.data["title"] == "Promesas de pago incumplidas"
    assert to_carla.data["summary"] == (
        "1 cliente con promesas de pago incumplidas, saldo $ 1.500,00; US$ 200,00. "
        "Deben ser gestionados con suma urgencia."
    )
    assert set(to_carla.data) == {"title", "summary", "lines", "action"}

    # the same day again: nothing new
    again = await run(api, tenant.admin, as_of=AS_OF.isoformat(), alarms=["broken_promises"])
    assert again["counts"] == {"digests": 0, "rows": 0, "already_sent": 2}
    assert {d["status"] for d in again["digests"]} == {"already_sent"}
    assert len(await sent_communications(stack)) == 2

    # a dry run of the next day tells what would go, and sends nothing
    dry = await run(api, tenant.admin, as_of="2026-11-24", alarms=["broken_promises"], dry_run=True, rows=True)
    assert dry["id"] is None and dry["counts"]["digests"] == 2
    assert {d["status"] for d in dry["digests"]} == {"would_send"}
    norte = next(d for d in dry["digests"] if d["recipient"]["id"] == carla["id"])
    assert [r["customer_name"] for r in norte["rows"]] == ["Ferretería Norte"]
    assert [p["number"] for p in norte["rows"][0]["promises"]] == ["A-1", "A-2"]
    assert len(await sent_communications(stack)) == 2

    # the next day is another period: sent again (the promises are still broken and unpaid)
    second = await run(api, tenant.admin, as_of="2026-11-24", alarms=["broken_promises"])
    assert second["counts"]["digests"] == 2
    assert len(await sent_communications(stack)) == 4

    # Norte pays A-1 and promises A-2 again; Sur's collector changes: only Sur is left, to the event's collector
    await p.change_invoice("A-1", status="paid", open_amount="0")
    await p.change_invoice("A-2", status=PTP, promised_date=date(2026, 12, 1))
    third = await run(api, tenant.admin, as_of="2026-11-25", alarms=["broken_promises"])
    assert [(d["recipient"]["id"], d["row_count"]) for d in third["digests"]] == [(bruno["id"], 1)]
    listed = (await api.get("/v1/alarms", params={"alarm": "broken_promises"}, headers=tenant.admin)).json()
    assert [(d["period"], d["row_count"]) for d in listed["items"] if d["recipient"]["id"] == bruno["id"]] == [
        ("2026-11-25", 1),
        ("2026-11-24", 1),
        ("2026-11-23", 1),
    ]
