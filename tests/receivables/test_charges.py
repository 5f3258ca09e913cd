"""Late charges in receivables (issue 19, point 2): recorded once by key from dunning's ``ChargesAssessed`` (sent here
by the test itself, as the relay would), announced and logged; waived by a manager with a reason; invoiced by the
ERP; listed with filters; another tenant's charge is not found."""

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from services.receivables.charges.rules import may_close
from shared.contracts.common import ChargeKind, ChargeStatus
from shared.contracts.dunning import AssessedCharge, ChargesAssessed
from shared.contracts.receivables import ChargeChanged
from shared.statement import charge_totals
from tests.receivables.helpers import Ctx, customer, invoice, outbox, setup_tenant
from tests.receivables.test_consumers import deliver
from tests.support import create_user


def charge(inv: dict[str, Any], period: str = "2026-11", amount: str = "150.00", **fields: Any) -> AssessedCharge:
    key = f"{inv['id']}:interest:{period}"
    values: dict[str, Any] = {
        "charge_id": uuid.uuid5(uuid.NAMESPACE_URL, key),
        "key": key,
        "invoice_id": inv["id"],
        "customer_id": inv["customer_id"],
        "kind": ChargeKind.INTEREST,
        "rule_key": "interest",
        "period": period,
        "description": f"Interés por mora {period}",
        "currency": inv["currency"],
        "amount": Decimal(amount),
        "charged_on": date(2026, 11, 30),
    }
    return AssessedCharge(**(values | fields))


async def assess(rc: Ctx, *charges: AssessedCharge, message_id: uuid.UUID | None = None, tenant_id=None) -> None:
    await deliver(rc, ChargesAssessed(charges=list(charges)), tenant_id=tenant_id, ids={0: message_id})


async def listed(rc: Ctx, query: str = "", headers=None) -> list[dict[str, Any]]:
    response = await rc.api.get(f"/v1/charges{query}", headers=headers or rc.admin)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_each_charge_is_recorded_once_by_key(rc):
    c = await customer(rc)
    inv = await invoice(rc, c["id"])
    november, december = charge(inv), charge(inv, "2026-12", "160.00")
    message_id = uuid.uuid4()
    await assess(rc, november, message_id=message_id)
    await assess(rc, november, message_id=message_id)  # the same message twice
    await assess(rc, november, december)  # the same key again, in another message (a run repeated)
    await assess(rc, december, december)  # twice in one message
    got = await listed(rc)
    assert sorted((g["key"], g["amount"], g["status"]) for g in got) == [
        (november.key, "150.00", "open"),
        (december.key, "160.00", "open"),
    ]
    assert {g["id"] for g in got} == {str(november.charge_id), str(december.charge_id)}
    announced = await outbox(rc.stack, ChargeChanged)
    assert sorted((m.key, m.status, m.invoice_number) for m in announced) == [
        (november.key, ChargeStatus.OPEN, inv["number"]),
        (december.key, ChargeStatus.OPEN, inv["number"]),
    ]
    assert {m.customer_external_id for m in announced} == {c["external_id"]}
    timeline = await rc.api.get(f"/v1/customers/{c['id']}/timeline?kind=charge", headers=rc.admin)
    entries = timeline.json()["items"]
    assert sorted(e["ref_id"] for e in entries) == sorted(str(x.charge_id) for x in (november, december))
    assert all(e["invoice_id"] == inv["id"] and e["actor"] == "service:dunning" for e in entries)


async def test_a_charge_on_an_invoice_of_another_tenant_or_none_is_not_recorded(rc, api, stack):
    other = await setup_tenant(api, stack)
    theirs = await invoice(other, (await customer(other))["id"])
    stray = {"id": str(uuid.uuid4()), "customer_id": str(uuid.uuid4()), "currency": "ARS"}
    await assess(rc, charge(theirs), charge(stray))
    assert await listed(rc) == [] and await listed(other) == []


async def test_a_manager_waives_with_a_reason_a_collector_may_not(rc):
    c = await customer(rc)
    inv = await invoice(rc, c["id"])
    assessed = charge(inv)
    await assess(rc, assessed)
    _, manager = await create_user(rc.api, rc.tenant, "manager")
    path = f"/v1/charges/{assessed.charge_id}/waive"
    refused = await rc.api.post(path, json={"reason": "cliente histórico"}, headers=rc.collector)
    assert refused.status_code == 403, refused.text
    for body in ({}, {"reason": "   "}):
        missing = await rc.api.post(path, json=body, headers=manager)
        assert missing.status_code == 422, missing.text
        assert [e["field"] for e in missing.json()["errors"]] == ["reason"]
    waived = await rc.api.post(path, json={"reason": "  Cliente histórico  "}, headers=manager)
    assert waived.status_code == 200, waived.text
    body = waived.json()
    assert (body["status"], body["waive_reason"], body["revision"]) == ("waived", "Cliente histórico", 2)
    assert body["waived_by"].startswith("user:") and body["waived_at"] is not None
    again = await rc.api.post(path, json={"reason": "otra vez"}, headers=manager)
    assert again.status_code == 409, again.text
    invoiced = await rc.api.post(
        f"/v1/charges/{assessed.charge_id}/invoiced", json={"erp_document": "ND-1"}, headers=rc.erp
    )
    assert invoiced.status_code == 409, invoiced.text
    (last,) = [m for m in await outbox(rc.stack, ChargeChanged) if m.status == ChargeStatus.WAIVED]
    assert (last.waive_reason, last.waived_by) == ("Cliente histórico", body["waived_by"])
    entries = (await rc.api.get(f"/v1/customers/{c['id']}/timeline?kind=charge", headers=rc.admin)).json()["items"]
    assert [e["data"]["status"] for e in entries] == ["waived", "open"]


async def test_the_erp_marks_a_charge_invoiced(rc):
    c = await customer(rc)
    inv = await invoice(rc, c["id"])
    assessed = charge(inv)
    await assess(rc, assessed)
    path = f"/v1/charges/{assessed.charge_id}/invoiced"
    refused = await rc.api.post(path, json={"erp_document": "ND-0001-77"}, headers=rc.collector)
    assert refused.status_code == 403, refused.text
    missing = await rc.api.post(path, json={}, headers=rc.erp)
    assert [e["field"] for e in missing.json()["errors"]] == ["erp_document"]
    done = await rc.api.post(path, json={"erp_document": "ND-0001-77"}, headers=rc.erp)
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["erp_document"]) == ("invoiced", "ND-0001-77")
    waive = await rc.api.post(f"/v1/charges/{assessed.charge_id}/waive", json={"reason": "x"}, headers=rc.admin)
    assert waive.status_code == 409, waive.text
    assert "invoiced" in waive.json()["detail"]
    (last,) = [m for m in await outbox(rc.stack, ChargeChanged) if m.status == ChargeStatus.INVOICED]
    assert last.erp_document == "ND-0001-77"


async def test_list_filters_and_pages(rc):
    first, second = await customer(rc), await customer(rc)
    a = await invoice(rc, first["id"])
    b = await invoice(rc, first["id"], currency="USD")
    d = await invoice(rc, second["id"])
    charges = [charge(a), charge(a, "2026-12"), charge(b), charge(d)]
    await assess(rc, *charges)
    await rc.api.post(f"/v1/charges/{charges[3].charge_id}/waive", json={"reason": "x"}, headers=rc.admin)
    assert {g["key"] for g in await listed(rc, f"?customer_id={first['id']}")} == {x.key for x in charges[:3]}
    assert {g["key"] for g in await listed(rc, f"?invoice_id={a['id']}")} == {charges[0].key, charges[1].key}
    assert [g["key"] for g in await listed(rc, "?status=waived")] == [charges[3].key]
    assert len(await listed(rc, "?status=open")) == 3
    page = (await rc.api.get("/v1/charges?limit=3", headers=rc.admin)).json()
    rest = (await rc.api.get(f"/v1/charges?limit=3&cursor={page['next_cursor']}", headers=rc.admin)).json()
    assert len(page["items"]) == 3 and len(rest["items"]) == 1 and rest["next_cursor"] is None
    assert {g["id"] for g in page["items"] + rest["items"]} == {str(x.charge_id) for x in charges}
    bad = await rc.api.get("/v1/charges?status=paid", headers=rc.admin)
    assert bad.status_code == 422


async def test_another_tenants_charge_is_not_found(rc, api, stack):
    inv = await invoice(rc, (await customer(rc))["id"])
    assessed = charge(inv)
    await assess(rc, assessed)
    other = await setup_tenant(api, stack)
    path = f"/v1/charges/{assessed.charge_id}"
    assert (await api.get(path, headers=other.admin)).status_code == 404
    waive = await api.post(f"{path}/waive", json={"reason": "x"}, headers=other.admin)
    assert waive.status_code == 404
    assert (await api.post(f"{path}/invoiced", json={"erp_document": "X"}, headers=other.erp)).status_code == 404
    assert await listed(other) == []
    assert (await api.get(path, headers=rc.admin)).json()["status"] == "open"


@given(st.lists(st.tuples(st.sampled_from(["ARS", "USD", "CLP"]), st.decimals("0.01", "99999.99", places=2))))
def test_totals_are_kept_per_currency(items):
    totals = charge_totals([{"currency": c, "amount": a} for c, a in items])
    assert [t["currency"] for t in totals] == sorted({c for c, _ in items})
    for total in totals:
        assert total["amount"] == sum((a for c, a in items if c == total["currency"]), Decimal(0))


def test_only_an_open_charge_may_close():
    assert [s for s in ChargeStatus if may_close(s)] == [ChargeStatus.OPEN]
