"""Bulk ingestion from the ERP: idempotent, versioned, per-row errors, set-based; and the customer CSV file."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from shared.contracts.receivables import CustomersChanged, InvoicesChanged, PaymentApplied
from shared.outbox import JOB_BATCH, jobs_of, queue_name, relay_once
from tests.receivables.helpers import (
    customer_announcements,
    execute,
    invoice_announcements,
    outbox,
    post,
    rows,
    scalar,
)
from tests.support import DiesAfterEnqueue, Killed, queued_envelopes

SNAPSHOT = (
    "SELECT external_id, customer_id, number, kind, currency, amount, open_amount, issue_date, due_date, status, "
    "revision, closed_on FROM receivables.invoices ORDER BY external_id"
)


def _customers(n, **extra):
    return [
        {
            "external_id": f"C-{i:03}",
            "name": f"Cliente {i}",
            "country": "AR",
            "contacts": [{"channel": "email", "address": f"c{i}@cliente.example"}],
            **extra,
        }
        for i in range(n)
    ]


def _invoices(n, customer="C-000", **extra):
    return [
        {
            "external_id": f"F-{i:04}",
            "customer_external_id": customer,
            "number": f"A-{i:04}",
            "currency": "ARS",
            "amount": "100.00",
            "issue_date": "2026-01-01",
            "due_date": "2026-02-01",
            **extra,
        }
        for i in range(n)
    ]


async def _ingest(rc, what, items, expect=200):
    return await post(rc.api, f"/v1/ingest/{what}", rc.erp, {"items": items}, expect=expect)


async def test_same_batch_twice_gives_identical_state_and_no_new_events(rc):
    first = await _ingest(rc, "customers", _customers(3))
    assert (first["created"], first["updated"], first["unchanged"], first["rejected"]) == (3, 0, 0, [])
    result = await _ingest(rc, "invoices", _invoices(50))
    assert (result["received"], result["created"], result["rejected"]) == (50, 50, [])
    state = await rows(rc.stack, SNAPSHOT)
    events = len(await outbox(rc.stack))
    assert len(await outbox(rc.stack, InvoicesChanged)) == 1  # the batch, announced at once
    assert len(await invoice_announcements(rc.stack)) == 50

    again_customers = await _ingest(rc, "customers", _customers(3))
    again = await _ingest(rc, "invoices", _invoices(50))
    assert (again_customers["unchanged"], again["created"], again["updated"], again["unchanged"]) == (3, 0, 0, 50)
    assert await rows(rc.stack, SNAPSHOT) == state
    assert len(await outbox(rc.stack)) == events


async def test_bad_rows_are_reported_and_the_good_ones_stored(rc):
    await _ingest(rc, "customers", _customers(1))
    items = _invoices(6)
    items[1]["due_date"] = "2025-12-01"  # before the issue date
    items[2]["currency"] = "ZZZ"
    items[3]["customer_external_id"] = "NOPE"
    items[4]["amount"] = "1.001"
    items[5]["external_id"] = items[0]["external_id"]  # repeated in the batch
    result = await _ingest(rc, "invoices", [*items, "not a row"])
    assert result["created"] == 1
    assert [(r["index"], r["field"]) for r in result["rejected"]] == [
        (1, "due_date"),
        (2, "currency"),
        (3, "customer_external_id"),
        (4, "amount"),
        (5, "external_id"),
        (6, "row"),
    ]
    assert result["rejected"][2]["reason"] == "no customer with external id 'NOPE'"
    assert result["rejected"][4]["reason"] == "repeats the row at index 0"
    assert await scalar(rc.stack, "SELECT count(*) FROM receivables.invoices") == 1


async def test_a_newer_version_updates_and_an_older_one_does_not(rc):
    await _ingest(rc, "customers", _customers(1))
    await _ingest(rc, "invoices", _invoices(2, version=5))
    first = [e for e in await invoice_announcements(rc.stack) if e.external_id == "F-0001"]
    newer = _invoices(2, version=6)
    newer[0]["open_amount"] = "40.00"
    newer[1]["open_amount"] = "0.00"
    result = await _ingest(rc, "invoices", newer)
    assert (result["updated"], result["unchanged"]) == (2, 0)
    older = _invoices(2, version=4)
    result = await _ingest(rc, "invoices", older)
    assert (result["updated"], result["unchanged"]) == (0, 2)
    state = {
        r["external_id"]: (r["status"], str(r["open_amount"]), r["revision"]) for r in await rows(rc.stack, SNAPSHOT)
    }
    assert state == {"F-0000": ("normal", "40.00", 2), "F-0001": ("paid", "0.00", 2)}
    # Each batch is announced by one deferred row; relayed now, both give the invoice as it is (revision 2).
    events = [e for e in await invoice_announcements(rc.stack) if e.external_id == "F-0001"]
    assert [(e.revision, e.status, e.reason) for e in first] == [(1, "normal", "ingested")]
    assert [(e.revision, e.status, e.reason) for e in events] == [
        (2, "paid", "ingested"),
        (2, "paid", "updated by the ERP"),
    ]
    history = (await rc.api.get(f"/v1/invoices/{events[0].invoice_id}/history", headers=rc.admin)).json()["items"]
    assert [(h["kind"], h["data"]["to"]) for h in history] == [("status_change", "paid")]


async def test_ingest_keeps_the_collectors_statuses_and_closes_on_request(rc):
    await _ingest(rc, "customers", _customers(1))
    await _ingest(rc, "invoices", _invoices(3))
    ids = {
        r["external_id"]: str(r["id"]) for r in await rows(rc.stack, "SELECT id, external_id FROM receivables.invoices")
    }
    promised = (rc.today + timedelta(days=3)).isoformat()
    await post(
        rc.api,
        f"/v1/invoices/{ids['F-0000']}/status",
        rc.admin,
        {"status": "promise_to_pay", "promised_date": promised},
        expect=200,
    )
    changed = _invoices(3)
    changed[0]["due_date"] = "2026-02-10"  # the ERP moves the due date: the promise stays
    changed[1]["status"] = "void"
    changed[2]["open_amount"] = "0"
    await _ingest(rc, "invoices", changed)
    statuses = {r["external_id"]: (r["status"], r["closed_on"]) for r in await rows(rc.stack, SNAPSHOT)}
    assert statuses["F-0000"] == ("promise_to_pay", None)
    assert statuses["F-0001"] == ("void", rc.today)
    assert statuses["F-0002"] == ("paid", rc.today)
    reopened = _invoices(3)
    reopened[1]["status"] = "open"
    await _ingest(rc, "invoices", reopened[1:])
    statuses = {r["external_id"]: (r["status"], r["closed_on"]) for r in await rows(rc.stack, SNAPSHOT)}
    assert statuses["F-0001"] == ("normal", None)
    assert statuses["F-0002"] == ("normal", None)


async def test_customer_ingest_resolves_people_and_keeps_invalid_contacts(rc):
    advisor = await post(
        rc.api, "/v1/people", rc.admin, {"kind": "advisor", "name": "Ana Asesora", "external_id": "A1"}
    )
    items = _customers(2)
    collector_email = (await rc.api.get("/v1/people/collectors", headers=rc.admin)).json()["items"][0]["email"]
    items[0].update(collector_email=collector_email, advisor_external_id="A1")
    items[1].update(advisor_external_id="A404")
    result = await _ingest(rc, "customers", items)
    assert (result["created"], [(r["index"], r["field"]) for r in result["rejected"]]) == (
        1,
        [(1, "advisor_external_id")],
    )
    assert len(await outbox(rc.stack, CustomersChanged)) == 1  # the batch, announced at once
    (event,) = await customer_announcements(rc.stack)
    assert (event.collector.name, event.advisor.name) == (f"Persona {collector_email}", advisor["name"])
    customer_id = event.customer_id
    await execute(
        rc.stack,
        "UPDATE receivables.customers SET contacts = jsonb_set(contacts, '{0,invalid}', 'true') WHERE id = :id",
        id=customer_id,
    )
    items[0]["name"] = "Cliente 0 renamed"
    items[0].pop("collector_email")
    await _ingest(rc, "customers", items[:1])
    stored = (await rc.api.get(f"/v1/customers/{customer_id}", headers=rc.admin)).json()
    assert stored["name"] == "Cliente 0 renamed"
    assert stored["contacts"] == [{"channel": "email", "address": "c0@cliente.example", "invalid": True}]
    assert stored["collector_id"] == str(rc.collector_id)  # not named: kept


async def test_payments_in_bulk(rc):
    await _ingest(rc, "customers", _customers(2))
    await _ingest(rc, "invoices", _invoices(2))
    payments = [
        {
            "external_id": "P-1",
            "customer_external_id": "C-000",
            "currency": "ARS",
            "amount": "150.00",
            "payment_date": rc.today.isoformat(),
        },
        {
            "external_id": "P-2",
            "customer_external_id": "C-000",
            "currency": "ARS",
            "amount": "20.00",
            "payment_date": rc.today.isoformat(),
            "invoices": [{"invoice_external_id": "F-0001"}],
        },
        {
            "external_id": "P-3",
            "customer_external_id": "C-001",
            "currency": "ARS",
            "amount": "20.00",
            "payment_date": rc.today.isoformat(),
            "invoices": [{"invoice_external_id": "F-0001"}],
        },
    ]
    result = await _ingest(rc, "payments", payments)
    assert (result["created"], [(r["index"], r["field"]) for r in result["rejected"]]) == (2, [(2, "invoices[0]")])
    state = {r["external_id"]: str(r["open_amount"]) for r in await rows(rc.stack, SNAPSHOT)}
    assert state == {"F-0000": "0.00", "F-0001": "30.00"}
    again = await _ingest(rc, "payments", payments[:2])
    assert (again["created"], again["unchanged"]) == (0, 2)
    assert len(await outbox(rc.stack, PaymentApplied)) == 2
    reversal = await _ingest(rc, "payments", [{**payments[0], "reversed": True, "reversal_reason": "rechazado"}])
    assert reversal["updated"] == 1
    state = {r["external_id"]: (r["status"], str(r["open_amount"])) for r in await rows(rc.stack, SNAPSHOT)}
    assert state == {"F-0000": ("normal", "100.00"), "F-0001": ("normal", "80.00")}


async def test_a_rejected_row_lists_every_problem_it_has(rc):
    """Issue 14: the ERP fixes a row in one go, so the answer names every field at fault, not only the first."""
    await _ingest(rc, "customers", _customers(1))
    items = _invoices(2)
    del items[1]["number"]
    items[1].update(currency="ZZZ", due_date="1 de marzo")
    result = await _ingest(rc, "invoices", items)
    assert result["created"] == 1
    (rejected,) = result["rejected"]
    assert (rejected["index"], rejected["external_id"]) == (1, "F-0001")
    assert [e["field"] for e in rejected["errors"]] == ["number", "currency", "due_date"]
    assert all(e["reason"] for e in rejected["errors"])
    assert (rejected["field"], rejected["reason"]) == (rejected["errors"][0]["field"], rejected["errors"][0]["reason"])

    payments = [{"external_id": "R-1", "customer_external_id": "C-000", "currency": "ARS", "amount": "-5"}]
    (payment,) = (await _ingest(rc, "payments", payments))["rejected"]
    assert {e["field"] for e in payment["errors"]} >= {"amount", "payment_date"}


async def test_a_customer_row_lists_every_unknown_reference_and_a_csv_row_every_bad_cell(rc):
    rows_ = _customers(1, collector_id=str(uuid.uuid4()), advisor_external_id="A404")
    rows_[0]["collector_email"] = "nadie@empresa.example"
    (rejected,) = (await _ingest(rc, "customers", rows_))["rejected"]
    assert [e["field"] for e in rejected["errors"]] == ["collector_id", "collector_email", "advisor_external_id"]

    csv = (
        "external_id;Razón Social;telefono;asesor_nombre;asesor_email\n"
        "C-1;Distribuidora del Sur;011 5555-1234;Lucía;lucia@andina.example\n"
        "C-2;;12;Lucía;no-es-un-email\n"
    )
    response = await rc.api.post(
        "/v1/ingest/customers.csv", content=csv.encode(), headers={**rc.erp, "Content-Type": "text/csv"}
    )
    assert response.status_code == 200, response.text
    (bad,) = response.json()["rejected"]
    assert (bad["index"], [e["field"] for e in bad["errors"]]) == (1, ["sms_phone", "advisor_email", "name"])


async def test_too_many_rows_is_a_422(rc):
    response = await rc.api.post("/v1/ingest/invoices", json={"items": [{}] * 10_001}, headers=rc.erp)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "items"


CSV = (
    "external_id;Razón Social;cuit;pais;email;telefono;vip;etiquetas;color_favorito;"
    "asesor_nombre;asesor_apellido;asesor_telefono;supervisor_nombre;supervisor_apellido\n"
    "C-1;Distribuidora del Sur;30-71234567-8;AR;pagos@delsur.example;011 5555-1234;si;norte|mayorista;azul;"
    "Lucía;Fernández;11 4444-5555;Sara;Gómez\n"
    "C-2;Ferretería Los Andes;;AR;no-es-un-email;;;;verde;Lucía;Fernández;;;\n"
    "C-3;Pampa Foods;;US;ap@pampa.example;;;;rojo;;;;;\n"
)


async def test_customer_csv_file_with_trailing_advisor_columns(rc):
    response = await rc.api.post(
        "/v1/ingest/customers.csv", content=CSV.encode(), headers={**rc.erp, "Content-Type": "text/csv"}
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["ignored_columns"] == ["color_favorito"]
    assert (result["received"], result["created"]) == (3, 2)
    assert [(r["index"], r["field"]) for r in result["rejected"]] == [(1, "contacts[0].address")]
    people = (await rc.api.get("/v1/people", headers=rc.admin)).json()["items"]
    assert sorted((p["kind"], p["name"], p["phone"]) for p in people) == [
        ("advisor", "Lucía Fernández", "+541144445555"),
        ("supervisor", "Sara Gómez", None),
    ]
    advisor = next(p for p in people if p["kind"] == "advisor")
    supervisor = next(p for p in people if p["kind"] == "supervisor")
    assert advisor["supervisor_id"] == supervisor["id"]
    customers = {c["external_id"]: c for c in (await rc.api.get("/v1/customers", headers=rc.admin)).json()["items"]}
    first = customers["C-1"]
    assert (first["tax_id"], first["vip"], first["tags"]) == ("30-71234567-8", True, ["mayorista", "norte"])
    assert first["contacts"] == [
        {"channel": "email", "address": "pagos@delsur.example", "invalid": False},
        {"channel": "sms", "address": "+541155551234", "invalid": False},
    ]
    assert first["advisor_id"] == advisor["id"]
    event = next(e for e in await customer_announcements(rc.stack) if e.external_id == "C-1")
    assert (event.advisor.phone, event.supervisor.name) == ("+541144445555", "Sara Gómez")
    again = await rc.api.post(
        "/v1/ingest/customers.csv", content=CSV.encode(), headers={**rc.erp, "Content-Type": "text/csv"}
    )
    assert (again.json()["created"], again.json()["unchanged"]) == (0, 2)


async def test_csv_without_required_columns_is_a_422(rc):
    response = await rc.api.post(
        "/v1/ingest/customers.csv", content=b"foo,bar\n1,2\n", headers={**rc.erp, "Content-Type": "text/csv"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "columns"


async def test_a_newer_version_of_a_payment_is_applied_again(rc):
    await _ingest(rc, "customers", _customers(1))
    await _ingest(rc, "invoices", _invoices(2))
    payment = {
        "external_id": "P-1",
        "customer_external_id": "C-000",
        "currency": "ARS",
        "amount": "150.00",
        "payment_date": rc.today.isoformat(),
        "version": 1,
    }
    await _ingest(rc, "payments", [payment])
    corrected = {**payment, "amount": "50.00", "version": 2, "invoices": [{"invoice_external_id": "F-0001"}]}
    result = await _ingest(rc, "payments", [corrected])
    assert result["updated"] == 1
    state = {r["external_id"]: (r["status"], str(r["open_amount"])) for r in await rows(rc.stack, SNAPSHOT)}
    assert state == {"F-0000": ("normal", "100.00"), "F-0001": ("normal", "50.00")}
    stale = await _ingest(rc, "payments", [payment])  # version 1 again: older, ignored
    assert stale["unchanged"] == 1
    (stored,) = (await rc.api.get("/v1/payments", headers=rc.admin)).json()["items"]
    assert (stored["amount"], stored["revision"]) == ("50.00", 2)
    assert [(a["invoice_number"], a["amount"], a["reversed"]) for a in stored["allocations"]] == [
        ("A-0000", "100.00", True),
        ("A-0001", "50.00", True),
        ("A-0001", "50.00", False),
    ]


async def test_a_bulk_load_is_one_deferred_row_the_relay_sends_as_one_batch_event(rc, monkeypatch):
    """A batch writes one outbox row per kind of change; the relay sends each as one InvoicesChanged carrying the
    snapshots, in a job of its own, with an id derived from the row: a relay that dies before marking the rows
    sends the very same envelopes again."""
    from shared import outbox as outbox_module

    await _ingest(rc, "customers", _customers(1))
    while await relay_once(rc.stack.engine, rc.stack.arq, "receivables"):
        pass
    await rc.stack.redis.flushdb()
    await _ingest(rc, "invoices", _invoices(450))
    changed = _invoices(450)
    changed[7]["open_amount"] = "0.00"
    await _ingest(rc, "invoices", [*changed, *_invoices(460)[450:]])  # 1 updated, 10 new
    # the two batches and their one status change (F-0007 paid: announced for webhooks, migration 0027)
    assert await scalar(rc.stack, "SELECT count(*) FROM receivables.outbox WHERE published_at IS NULL") == 4

    monkeypatch.setattr(outbox_module, "EXPANSION_BUDGET", 400)  # a pass stops taking rows past its budget
    with pytest.raises(Killed):
        await relay_once(rc.stack.engine, DiesAfterEnqueue(rc.stack.arq), "receivables")
    first = {e["id"] for service in ("dunning", "alarms") for e in await queued_envelopes(rc.stack, service)}
    assert len(first) == 1  # the one job that reached Redis before the relay died: the first batch
    await rc.stack.redis.flushdb()
    assert await relay_once(rc.stack.engine, rc.stack.arq, "receivables") == 1  # 450 snapshots: over the budget
    assert await relay_once(rc.stack.engine, rc.stack.arq, "receivables") == 3
    for service in ("dunning", "alarms"):
        jobs = sorted(job.decode().rsplit(":", 1)[1] for job in await rc.stack.redis.zrange(queue_name(service), 0, -1))
        assert jobs == ["1", "2"]  # a batch weighs its snapshots: the 450 go alone, the 10 and the 1 together
        envelopes = await queued_envelopes(rc.stack, service)
        assert {e["id"] for e in envelopes} >= first  # the same id the dead relay had sent
        assert {e["type"] for e in envelopes} == {InvoicesChanged.message_type}
        assert sorted(len(e["payload"]["invoice_id"]) for e in envelopes) == [1, 10, 450]
        (updated,) = [e["payload"] for e in envelopes if e["payload"]["reason"] == "updated by the ERP"]
        assert (updated["external_id"], updated["status"], updated["revision"]) == (["F-0007"], ["paid"], [2])


def test_jobs_hold_envelopes_up_to_a_weight_and_a_heavier_one_alone():
    envelopes = [({"id": str(n)}, weight) for n, weight in enumerate((1, 1, 10_000, 1, 150, 60, 200))]
    jobs = jobs_of(envelopes, JOB_BATCH)
    assert [[e["id"] for e in job] for job in jobs] == [["0", "1"], ["2"], ["3", "4"], ["5"], ["6"]]


async def test_statistics_that_say_the_invoices_table_is_empty_are_refreshed_before_a_batch(rc):
    """An ANALYZE that ran before a load's first rows committed leaves pages and zero rows: the planner then takes
    the table for empty for good and may join a batch to it row by row. The next batch refreshes them first."""
    await _ingest(rc, "customers", _customers(1))
    await _ingest(rc, "invoices", _invoices(300))
    await execute(rc.stack, "ANALYZE receivables.invoices")
    await execute(rc.stack, "UPDATE pg_class SET reltuples = 0 WHERE oid = 'receivables.invoices'::regclass")
    changed = _invoices(300, open_amount="10.00")
    result = await _ingest(rc, "invoices", changed)
    assert (result["updated"], result["rejected"]) == (300, [])
    assert await scalar(rc.stack, "SELECT reltuples FROM pg_class WHERE oid = 'receivables.invoices'::regclass") > 0


async def test_a_batch_meets_the_stored_rows_without_a_nested_loop_whatever_the_statistics(rc, api, stack):
    """Statistics that take a tenant or the table for small (a new tenant's first load, an ANALYZE that ran before
    a load's first rows committed) once made the planner rescan a batch or a tenant per row: a 10,000-row batch
    took 20 s. The stored rows are read for the batch's keys through the unique index and joined by hashing."""
    from services.receivables.ingest import invoices as ingest_invoices
    from services.receivables.ingest.invoice_rows import invoice_lines
    from services.receivables.ingest.staging import copy_lines
    from shared.db import create_sessionmaker, unit_of_work
    from tests.receivables.helpers import setup_tenant

    await _ingest(rc, "customers", _customers(3000))
    await _ingest(rc, "invoices", _invoices(3000))
    newcomer = await setup_tenant(api, stack)
    await _ingest(newcomer, "customers", _customers(1))
    await execute(rc.stack, "ANALYZE receivables.invoices")  # the newcomer has no invoices yet
    await execute(rc.stack, "ANALYZE receivables.customers")
    await execute(rc.stack, "UPDATE pg_class SET reltuples = 0 WHERE oid = 'receivables.invoices'::regclass")

    lines, _ = invoice_lines(_invoices(2000))
    async with unit_of_work(create_sessionmaker(stack.engine)) as session:
        staged = [f"{line.text}\t{uuid.uuid4()}" for line in lines]
        await copy_lines(session, ingest_invoices.STAGING, ingest_invoices.COLUMNS, staged)
        plan = "\n".join(
            r[0]
            for r in await session.execute(
                text("EXPLAIN " + ingest_invoices.UPSERT.text),
                {
                    "tenant_id": newcomer.tenant_id,
                    "today": rc.today,
                    "now": datetime.now(UTC),
                    "grace": 0,
                    "actor": "test",
                    "external_ids": [line.external_id for line in lines],
                    "customer_external_ids": ["C-000"],
                },
            )
        )
    assert "Nested Loop" not in plan, plan
    # Each table is read once for the batch's keys: through the unique index, or (the invoices here, which the
    # statistics call empty) at worst by one pass over the tenant's rows against the hashed keys.
    lookups = [line.strip() for line in plan.splitlines() if "external_id)::text = ANY" in line]
    assert lookups[0].startswith("Index Cond: ((tenant_id = $0) AND ((external_id)::text = ANY ("), plan
    assert len(lookups) == 2, plan
