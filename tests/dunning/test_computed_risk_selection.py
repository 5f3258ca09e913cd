"""A strategy selected by the risk receivables computes from the warning signs (issue 18), end to end: receivables'
refresh -> CustomersChanged -> dunning's projection -> selection and explain."""

from datetime import timedelta

from dunning_service.worker import WorkerSettings as DunningWorker
from services.receivables.worker import WorkerSettings as ReceivablesWorker
from shared.outbox import relay_once
from tests.dunning.support import create_strategy, dunning_tenant
from tests.receivables.helpers import refresh_signs
from tests.support import run_worker, tenant_today


async def test_a_strategy_selected_by_computed_risk(api, stack):
    tenant = await dunning_tenant(api, stack)
    await run_worker(ReceivablesWorker)  # receivables learns the tenant too
    await create_strategy(api, tenant.admin)
    await create_strategy(
        api,
        tenant.admin,
        name="Riesgo calculado",
        priority=10,
        is_default=False,
        match={"computed_risk_levels": ["high"]},
        steps=[{"key": "r-1", "kind": "overdue", "days": 1, "tone": 2, "channels": ["email"]}],
    )
    patched = await api.patch(
        "/v1/receivables-settings", json={"warning_signs": {"for_high_risk": 1}}, headers=tenant.admin
    )
    assert patched.status_code == 200, patched.text
    today = tenant_today()
    ids = []
    for name in ("Creciente", "Estable"):
        body = {"name": name, "contacts": [{"channel": "email", "address": f"{name.lower()}@cliente.example"}]}
        created = await api.post("/v1/customers", json=body, headers=tenant.admin)
        ids.append(created.json()["id"])
    growing, steady = ids
    for customer_id, dues in ((growing, (70, 40, 10)), (steady, (70,))):
        for n, due in enumerate(dues):
            invoice = {
                "customer_id": customer_id,
                "number": f"F-{customer_id[:4]}-{n}",
                "currency": "ARS",
                "amount": "1000.00",
                "issue_date": (today - timedelta(days=due + 30)).isoformat(),
                "due_date": (today - timedelta(days=due)).isoformat(),
            }
            assert (await api.post("/v1/invoices", json=invoice, headers=tenant.admin)).status_code == 201
    refreshed = await refresh_signs(api, tenant.admin)  # computed by receivables' worker
    assert refreshed["risk_changed"] == 2
    while await relay_once(stack.engine, stack.arq, "receivables"):
        pass
    await run_worker(DunningWorker)
    explained = await api.get(f"/v1/dunning-explain/{growing}", headers=tenant.admin)
    assert explained.status_code == 200, explained.text
    body = explained.json()
    assert body["customer"]["computed_risk_level"] == "high"
    assert (body["strategy"]["name"], body["strategy_reason"]) == (
        "Riesgo calculado",
        "priority 10: computed risk level is high",
    )
    other = (await api.get(f"/v1/dunning-explain/{steady}", headers=tenant.admin)).json()
    assert (other["customer"]["computed_risk_level"], other["strategy"]["name"]) == ("low", "Standard")
