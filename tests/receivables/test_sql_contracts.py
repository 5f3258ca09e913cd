"""SQL written beside a Python rule must agree with it; event payloads built in SQL must match the contracts.
(The models against the migrations: tests/platform/test_models_match_migrations.py.)"""

import itertools
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import text

from services.receivables.invoices.rules import after_ingest, after_ingest_sql
from services.receivables.kpis.rules import aging_bucket, aging_bucket_sql
from shared.contracts.common import InvoiceStatus
from shared.contracts.receivables import (
    CustomersChanged,
    CustomerSnapshot,
    InvoiceChanged,
    InvoicesChanged,
    InvoiceSnapshot,
)
from shared.messages import REGISTRY
from shared.outbox import envelopes_of
from tests.receivables.helpers import OUTBOX_ROWS, customer, invoice, post, promises_made_earlier, setup_tenant
from tests.receivables.test_charges import assess, charge


async def test_ingest_status_sql_agrees_with_the_rule(stack):
    currents = [None, *[s.value for s in InvoiceStatus]]
    requested = [None, "open", "void", "written_off"]
    cases = list(itertools.product(currents, requested, [Decimal(0), Decimal("10.50")]))
    expression = after_ingest_sql("c.cur", "c.req", "c.open")
    query = text(
        f"SELECT {expression} FROM (SELECT CAST(:cur AS text) AS cur, CAST(:req AS text) AS req, "
        "CAST(:open AS numeric) AS open) c"
    )
    async with stack.engine.connect() as conn:
        for current, req, amount in cases:
            got = (await conn.execute(query, {"cur": current, "req": req, "open": amount})).scalar()
            assert got == after_ingest(current, req, amount).value, (current, req, amount)


async def test_aging_bucket_sql_agrees_with_the_rule(stack):
    days = list(range(-3, 130))
    query = text(f"SELECT d, {aging_bucket_sql('d')} FROM unnest(CAST(:days AS int[])) AS d")
    async with stack.engine.connect() as conn:
        got = dict((await conn.execute(query, {"days": days})).all())
    assert got == {d: aging_bucket(d) for d in days}


async def test_every_event_payload_has_exactly_the_contract_fields(api, stack):
    """Every kind of message receivables writes, through its real code path, opens as its contract class, and the
    SQL-built payloads carry every field of the class (none missing, none extra)."""
    rc = await setup_tenant(api, stack)
    c = await customer(
        rc, collector_id=str(rc.collector_id), contacts=[{"channel": "email", "address": "pagos@x.example"}]
    )
    inv = await invoice(rc, c["id"])
    await post(
        rc.api,
        "/v1/payments",
        rc.admin,
        {"customer_id": c["id"], "currency": "ARS", "amount": "10.00", "payment_date": rc.today.isoformat()},
    )
    await post(
        rc.api,
        "/v1/outcomes",
        rc.collector,
        {"customer_id": c["id"], "kind": "promise_to_pay", "promised_date": rc.today.isoformat()},
    )
    await promises_made_earlier(rc, 1)  # promised for yesterday: today's check breaks it
    await post(rc.api, "/v1/promises/detect-broken", rc.admin, {}, expect=200)
    kept = await customer(rc)
    await invoice(rc, kept["id"], amount="100.00")
    promise = {"customer_id": kept["id"], "kind": "promise_to_pay", "promised_date": rc.today.isoformat()}
    await post(rc.api, "/v1/outcomes", rc.collector, promise)
    paid = {"customer_id": kept["id"], "currency": "ARS", "amount": "100.00", "payment_date": rc.today.isoformat()}
    await post(rc.api, "/v1/payments", rc.admin, paid)  # pays the promise in time: kept
    await post(rc.api, "/v1/outcomes", rc.collector, {"customer_id": c["id"], "kind": "unreachable"})
    ingested = {"external_id": "F-1", "customer_external_id": c["external_id"], "number": "A-1", "currency": "ARS"}
    ingested |= {"amount": "5.00", "issue_date": "2026-01-01", "due_date": "2026-02-01"}
    await post(rc.api, "/v1/ingest/invoices", rc.erp, {"items": [ingested]}, expect=200)
    await post(rc.api, "/v1/ingest/customers", rc.erp, {"items": [{"external_id": "C-1", "name": "Uno"}]}, expect=200)
    assessed = charge(inv)
    await assess(rc, assessed)  # a late charge recorded (issue 19), then waived: both written by SQL
    await post(rc.api, f"/v1/charges/{assessed.charge_id}/waive", rc.admin, {"reason": "cortesía"}, expect=200)
    assert inv["status"] == "normal"
    seen = set()
    async with stack.engine.connect() as conn:
        rows = (await conn.execute(text(OUTBOX_ROWS))).all()
        for row in rows:
            envelopes = await envelopes_of(conn, row)
            assert envelopes, row.message_type
            for envelope in envelopes:
                cls = REGISTRY[(envelope["type"], envelope["version"])]
                cls.model_validate(envelope["payload"])
                assert set(envelope["payload"]) == set(cls.model_fields), row.message_type
                for snapshot in envelope["payload"]["customers"] if cls is CustomersChanged else ():
                    assert set(snapshot) == set(CustomerSnapshot.model_fields)  # a bulk write's batch
                assert list(row.consumers) == list(cls.consumers)
            seen.add(row.message_type)
    assert seen == {
        "deferred:receivables.invoice_changed",
        "deferred:receivables.customers_changed",
        "receivables.customer_changed",
        "receivables.invoice_changed",
        "receivables.payment_applied",
        "receivables.outcome_recorded",
        "receivables.promise_broken",
        "receivables.promise_made",
        "receivables.promise_kept",
        "receivables.invoice_status_changed",
        "receivables.task_changed",
        "receivables.warning_signs_changed",  # the payments' refresh of the paying customers (issue 18)
        "receivables.charge_changed",
        "messaging.send_communications",
    }


def test_a_batch_carries_the_single_events_snapshot_as_columns():
    """``InvoicesChanged`` holds one list per ``InvoiceSnapshot`` field (what ``InvoiceChanged`` carries besides its
    reason), typed as the field is, and gives them back as snapshots."""
    assert set(InvoicesChanged.model_fields) == {"reason", *InvoiceSnapshot.model_fields}
    assert set(InvoiceChanged.model_fields) == {"reason", *InvoiceSnapshot.model_fields}
    for name, field in InvoiceSnapshot.model_fields.items():
        assert InvoicesChanged.model_fields[name].annotation == list[field.annotation], name
    single = {"invoice_id": str(uuid.uuid4()), "revision": 3, "customer_id": str(uuid.uuid4())}
    single |= {"number": "A-1", "currency": "ARS", "amount": "10.00", "open_amount": "4.50", "status": "dispute"}
    single |= {"issue_date": "2026-01-01", "due_date": "2026-02-01"}
    snapshot = InvoiceSnapshot.model_validate(single)
    columns = {name: [getattr(snapshot, name)] * 2 for name in InvoiceSnapshot.model_fields}
    batch = InvoicesChanged.model_validate({**columns, "reason": "ingested"})
    assert batch.snapshots() == [snapshot, snapshot]
    with pytest.raises(ValueError, match="one item per invoice"):
        InvoicesChanged.model_validate({**columns, "revision": [3]})
