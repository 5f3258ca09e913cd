"""KPIs against a small portfolio computed by hand; the expected figures are written here, not recomputed."""

from datetime import timedelta

from tests.receivables.helpers import customer, invoice, post, promises_made_earlier


async def _get(rc, path, **params):
    response = await rc.api.get(path, params=params, headers=rc.admin)
    assert response.status_code == 200, response.text
    return response.json()


async def _portfolio(rc):
    """Customer A (our collector) and B (segment retail). All dates fixed; as of 2026-06-30.

    I1 A ARS 1000 issued 03-01 due 03-31 open 1000      -> 91 days overdue  (91-120)
    I2 A ARS  600 issued 05-10 due 06-09, 100 paid 06-20 -> 21 days, open 500 (1-30)
    I3 B ARS  400 issued 06-15 due 07-15 open 400       -> current
    I4 B ARS  500 issued 04-20 due 05-20, paid 06-10    -> closed (paid)
    I5 A ARS  300 issued 01-05 due 02-04 open 300       -> 146 days (120+)
    I6 B USD  200 issued 06-01 due 07-01 open 200       -> current
    I7 A ARS   50 credit note                            -> not a receivable, not a sale
    """
    a = await customer(rc, collector_id=str(rc.collector_id), segment="wholesale")
    b = await customer(rc, segment="retail")
    i1 = await invoice(rc, a["id"], amount="1000.00", issue_date="2026-03-01", due_date="2026-03-31")
    i2 = await invoice(rc, a["id"], amount="600.00", issue_date="2026-05-10", due_date="2026-06-09")
    await invoice(rc, b["id"], amount="400.00", issue_date="2026-06-15", due_date="2026-07-15")
    i4 = await invoice(rc, b["id"], amount="500.00", issue_date="2026-04-20", due_date="2026-05-20")
    await invoice(rc, a["id"], amount="300.00", issue_date="2026-01-05", due_date="2026-02-04")
    await invoice(rc, b["id"], amount="200.00", currency="USD", issue_date="2026-06-01", due_date="2026-07-01")
    # I7 stays a credit (issue 12 applies credit notes by themselves unless the tenant switches that off)
    await rc.api.patch("/v1/receivables-settings", json={"auto_apply_credits": False}, headers=rc.admin)
    await invoice(rc, a["id"], amount="50.00", kind="credit_note", issue_date="2026-06-01", due_date="2026-06-01")
    for customer_id, invoice_id, amount, day in (
        (b["id"], i4["id"], "500.00", "2026-06-10"),
        (a["id"], i2["id"], "100.00", "2026-06-20"),
    ):
        await post(
            rc.api,
            "/v1/payments",
            rc.admin,
            {
                "customer_id": customer_id,
                "currency": "ARS",
                "amount": amount,
                "payment_date": day,
                "invoices": [{"invoice_id": invoice_id}],
            },
        )
    return a, b, i1


async def test_aging_dso_and_cei_of_a_hand_computed_portfolio(rc):
    await _portfolio(rc)
    aging = await _get(rc, "/v1/kpis/aging", as_of="2026-06-30")
    ars, usd = aging["currencies"]
    assert {b["bucket"]: (b["amount"], b["invoices"]) for b in ars["buckets"]} == {
        "current": ("400.00", 1),
        "1-30": ("500.00", 1),
        "31-60": ("0", 0),
        "61-90": ("0", 0),
        "91-120": ("1000.00", 1),
        "120+": ("300.00", 1),
    }
    assert (ars["total"], ars["overdue"]) == ("2200.00", "1800.00")
    assert (usd["currency"], usd["total"], usd["overdue"]) == ("USD", "200.00", "0")

    by_collector = await _get(rc, "/v1/kpis/aging", as_of="2026-06-30", collector_id=str(rc.collector_id))
    assert by_collector["currencies"][0]["total"] == "1800.00"
    retail = await _get(rc, "/v1/kpis/aging", as_of="2026-06-30", segment="retail", currency="ARS")
    assert [(c["currency"], c["total"]) for c in retail["currencies"]] == [("ARS", "400.00")]

    # Countback from 2026-06-30, ARS receivables 2200:
    #   (05-30, 06-30] 31 days, sales 400  -> 1800 left, 31 days
    #   (04-30, 05-30] 30 days, sales 600  -> 1200 left, 61 days
    #   (03-30, 04-30] 31 days, sales 500  ->  700 left, 92 days
    #   (02-28, 03-30] 30 days, sales 1000 -> 92 + 700/1000 * 30 = 113.0
    # USD: 200 against (05-30, 06-30] sales 200 -> 31.0
    dso = await _get(rc, "/v1/kpis/dso", as_of="2026-06-30")
    assert dso["method"] == "countback"
    assert [(c["currency"], c["receivables"], c["dso"], c["exhausted"]) for c in dso["currencies"]] == [
        ("ARS", "2200.00", "113.0", False),
        ("USD", "200.00", "31.0", False),
    ]

    # CEI for June 2026, ARS:
    #   beginning (end of 05-31): I1 1000 + I2 600 + I4 500 + I5 300 = 2400 (I3 not issued yet)
    #   sales in June: I3 400
    #   ending total (06-30): I1 1000 + I2 500 + I3 400 + I5 300 = 2200 (I4 paid 06-10)
    #   ending current (due on or after 06-30): I3 400
    #   CEI = (2400 + 400 - 2200) / (2400 + 400 - 400) = 600 / 2400 = 25.00 %
    cei = await _get(rc, "/v1/kpis/cei", **{"from": "2026-06-01", "to": "2026-06-30"})
    ars = cei["currencies"][0]
    assert (ars["beginning"], ars["sales"], ars["ending_total"], ars["ending_current"], ars["cei"]) == (
        "2400.00",
        "400.00",
        "2200.00",
        "400.00",
        "25.00",
    )


async def test_promises_excuses_contacts_and_workload(rc):
    a, b, i1 = await _portfolio(rc)
    t = rc.today
    invoices = {i["number"]: i for i in (await _get(rc, "/v1/invoices", limit=50))["items"]}
    i3 = next(i for i in invoices.values() if i["amount"] == "400.00")
    i5 = next(i for i in invoices.values() if i["amount"] == "300.00")

    async def outcome(headers, **body):
        return await post(rc.api, "/v1/outcomes", headers, body)

    tomorrow = (t + timedelta(days=1)).isoformat()
    await outcome(
        rc.collector,
        customer_id=a["id"],
        kind="promise_to_pay",
        invoice_ids=[i1["id"]],
        promised_date=tomorrow,
        excuse="forgetting",
        note="Se olvidó #olvido #vacaciones",
    )
    await outcome(
        rc.collector,
        customer_id=b["id"],
        kind="promise_to_pay",
        invoice_ids=[i3["id"]],
        promised_date=tomorrow,
        excuse="forgetting",
    )
    await outcome(
        rc.collector,
        customer_id=a["id"],
        kind="promise_to_pay",
        invoice_ids=[i5["id"]],
        promised_date=tomorrow,
        excuse="inability_to_pay",
        note="Sin fondos #olvido",
    )
    await outcome(
        rc.collector,
        customer_id=a["id"],
        kind="no_commitment",
        invoice_ids=[i5["id"]],
        excuse="inability_to_pay",
        note="Consulta con administración",
    )
    await outcome(rc.admin, customer_id=b["id"], kind="unreachable")
    # I3 paid today: its promise is kept; I1's breaks (made two days earlier); I5's is cancelled by a dispute.
    await post(
        rc.api,
        "/v1/payments",
        rc.admin,
        {
            "customer_id": b["id"],
            "currency": "ARS",
            "amount": "400.00",
            "payment_date": t.isoformat(),
            "invoices": [{"invoice_id": i3["id"]}],
        },
    )
    area = await post(rc.api, "/v1/dispute-areas", rc.admin, {"name": "Comercial"})
    await post(
        rc.api,
        f"/v1/invoices/{i5['id']}/status",
        rc.admin,
        {"status": "dispute", "dispute_area_id": area["id"]},
        expect=200,
    )
    await promises_made_earlier(rc, 2)  # I1's promise was for yesterday: it breaks today
    await post(rc.api, "/v1/promises/detect-broken", rc.admin, {"as_of": t.isoformat()}, expect=200)
    await post(
        rc.api, "/v1/tasks", rc.collector, {"title": "Atrasada", "due_date": (t - timedelta(days=1)).isoformat()}
    )
    await post(rc.api, "/v1/tasks", rc.admin, {"title": "Hoy", "due_date": t.isoformat()})

    period = {
        "from": (t - timedelta(days=5)).isoformat(),
        "to": (t + timedelta(days=5)).isoformat(),
        "as_of": t.isoformat(),
    }
    promises = await _get(rc, "/v1/kpis/promises", **period)
    # made 3; kept 1 (I3), broken 1 (I1, 1000), cancelled 1 (I5): kept rate 1 / (1 + 1) = 50 %
    assert (promises["made"], promises["kept"], promises["broken"], promises["cancelled"], promises["open_now"]) == (
        3,
        1,
        1,
        1,
        0,
    )
    assert promises["kept_rate"] == "50.00"
    assert promises["broken_amounts"] == [{"currency": "ARS", "amount": "1000.00", "promises": 1}]
    mine = await _get(rc, "/v1/kpis/promises", collector_id=str(rc.collector_id), **period)
    assert (mine["made"], mine["kept"], mine["broken"]) == (2, 0, 1)  # B has no collector

    excuses = await _get(rc, "/v1/kpis/excuses", **period)
    assert excuses["by_reason"] == [
        {"excuse": "forgetting", "outcomes": 2, "notes": 0},
        {"excuse": "inability_to_pay", "outcomes": 2, "notes": 0},
        {"excuse": "none", "outcomes": 1, "notes": 0},
    ]
    assert excuses["by_hashtag"] == [{"hashtag": "olvido", "notes": 2}, {"hashtag": "vacaciones", "notes": 1}]

    contacts = await _get(rc, "/v1/kpis/contacts", **period)
    assert [(c["user_id"], c["contacts"], c["customers"], c["outcomes"]) for c in contacts["collectors"]] == [
        (str(rc.collector_id), 4, 2, {"promise_to_pay": 3, "no_commitment": 1}),
        (str(rc.tenant.admin_id), 1, 1, {"unreachable": 1}),
    ]

    workload = await _get(rc, "/v1/kpis/workload", **period)
    # collector: the no-commitment follow-up and "Atrasada" (overdue); admin ("Ana Admin", first by name): the
    # could-not-reach call-again (B has no collector: it goes to who recorded it) and "Hoy" (due today).
    assert [(w["user_id"], w["open_tasks"], w["overdue"], w["due_today"]) for w in workload["assignees"]] == [
        (str(rc.tenant.admin_id), 2, 0, 1),
        (str(rc.collector_id), 2, 1, 0),
    ]
    everything = await _get(rc, "/v1/kpis", **period)
    assert set(everything) == {"aging", "dso", "cei", "promises", "excuses", "contacts", "workload"}


async def test_an_empty_filter_filters_nothing(api):
    """Found by schemathesis: ``?segment=`` joined nothing but filtered on the join (500)."""
    from tests.support import create_tenant

    tenant = await create_tenant(api)
    for path in ("/v1/kpis?segment=", "/v1/kpis/excuses?segment="):
        assert (await api.get(path, headers=tenant.admin)).status_code == 200


async def test_dates_out_of_any_reasonable_range_are_422(api):
    """Found by schemathesis: ``from=0001-01-01`` overflowed the day-before arithmetic (500)."""
    from tests.support import create_tenant

    tenant = await create_tenant(api)
    for query in ("from=0001-01-01", "to=9999-12-31", "as_of=0001-01-01"):
        response = await api.get(f"/v1/kpis/dso?{query}", headers=tenant.admin)
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == query.split("=")[0]
