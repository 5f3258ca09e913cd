"""Seed 000, alarm 3: "Semanalmente enviar a cada cobrador la lista de facturas que sus clientes dicen haber
pagado, pero pasados más de x días aún figuran impagas en el sistema." Weekly, per collector, X per tenant."""

from datetime import date

from tests.alarms.support import Portfolio, alarms_tenant, collector, lines_to, run, sent_communications

MONDAY = date(2026, 11, 23)  # ISO week 2026-W48
REPORTED = "payment_reported"


async def test_collectors_get_the_payments_reported_more_than_x_days_ago_once_a_week(api, stack):
    tenant = await alarms_tenant(api, stack)
    carla, _ = await collector(api, stack, tenant)
    bruno, _ = await collector(api, stack, tenant)
    p = Portfolio(stack, tenant.id)
    await p.customer("Ferretería Norte", carla["id"])
    await p.customer("Bazar Sur", bruno["id"])
    await p.customer("Sin Cobrador SA", None)
    await p.invoice("Ferretería Norte", "R-1", "500.00", status=REPORTED, reported_date=date(2026, 11, 17))
    await p.invoice("Ferretería Norte", "R-2", "20.00", "USD", status=REPORTED, reported_date=date(2026, 11, 18))
    await p.invoice("Ferretería Norte", "R-3", "70.00", status="paid", open_amount="0", reported_date=date(2026, 11, 1))
    await p.invoice("Bazar Sur", "R-4", "900.00", status=REPORTED, reported_date=date(2026, 11, 2))
    await p.invoice("Sin Cobrador SA", "R-5", "10.00", status=REPORTED, reported_date=date(2026, 11, 2))

    first = await run(api, tenant.admin, as_of=MONDAY.isoformat(), alarms=["payments_reported"])
    # 6 days, more than 5; R-2: exactly 5 days, not yet
    assert first["counts"] == {"digests": 2, "rows": 2, "already_sent": 0}
    sent = await sent_communications(stack)
    assert lines_to(sent, carla["email"]) == [
        "Ferretería Norte, factura R-1: pago informado el 17 nov 2026 (6 días), saldo $ 500,00"
    ]
    assert lines_to(sent, bruno["email"]) == [
        "Bazar Sur, factura R-4: pago informado el 2 nov 2026 (21 días), saldo $ 900,00"
    ]
    to_carla = next(c for c in sent if c.to == carla["email"])
    assert to_carla.data["summary"] == (
        "1 factura que sus clientes dicen haber pagado sigue impaga pasados más de 5 días, saldo $ 500,00."
    )
    assert first["unrouted"] == [
        {
            "alarm": "payments_reported",
            "audience": "collector",
            "reason": "no_collector",
            "recipient_id": None,
            "rows": 1,
            "customers": 1,
        }
    ]

    # Wednesday of the same week: R-2 qualifies now, but this week's digest went out already
    wednesday = await run(api, tenant.admin, as_of="2026-11-25", alarms=["payments_reported"])
    assert wednesday["counts"] == {"digests": 0, "rows": 0, "already_sent": 2}
    assert {d["period"] for d in wednesday["digests"]} == {"2026-W48"}
    assert len(await sent_communications(stack)) == 2

    # next week, with X = 12 days: R-1 (13 days) is listed, R-2 (12 days) is not
    response = await api.patch(
        "/v1/alarm-settings", json={"payments_reported": {"threshold_days": 12}}, headers=tenant.admin
    )
    assert response.status_code == 200, response.text
    next_week = await run(api, tenant.admin, as_of="2026-11-30", alarms=["payments_reported"])
    to_carla = next(d for d in next_week["digests"] if d["recipient"]["id"] == carla["id"])
    assert (to_carla["period"], to_carla["status"], to_carla["lines"]) == (
        "2026-W49",
        "sent",
        ["Ferretería Norte, factura R-1: pago informado el 17 nov 2026 (13 días), saldo $ 500,00"],
    )
    assert "más de 12 días" in to_carla["summary"]
    assert len(await sent_communications(stack)) == 4
