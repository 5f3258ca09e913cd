"""A real run is planned once, then handed over part by part (issue 13). A part that fails fails the run: the
parts handed over stay handed over, the others are dropped (their messages never left the service), the tasks
handed over with the plan stay; a second run of the same day sends exactly what the first did not."""

from datetime import date, timedelta

from sqlalchemy import text

from dunning_service.runs import handover_repository
from dunning_service.worker import WorkerSettings
from tests.dunning.support import Messaging, Portfolio, create_strategy, dunning_tenant, real_run
from tests.support import run_worker

MONDAY = date(2025, 6, 2)
CUSTOMERS = 12


async def test_a_failed_part_fails_the_run_and_the_next_run_sends_the_rest_once(api, stack, monkeypatch):
    monkeypatch.setenv("DUNNING_RUN_PARTS", "4")
    monkeypatch.setenv("DUNNING_RUN_PARALLEL_PARTS", "1")  # one worker loop: the failure lands after one part
    tenant = await dunning_tenant(api, stack)
    await api.patch("/v1/dunning-settings", json={"automatic": False}, headers=tenant.admin)
    await create_strategy(api, tenant.admin)
    portfolio = Portfolio(stack, tenant.id)
    for n in range(CUSTOMERS):
        customer = await portfolio.customer(f"Cliente {n:02d}", email=f"c{n}@example.com")
        await portfolio.invoice(customer, f"F-{n:02d}", due=MONDAY - timedelta(days=1), issue=MONDAY - timedelta(30))
    unreachable = await portfolio.customer("Sin contacto")
    await portfolio.invoice(unreachable, "T-01", due=MONDAY - timedelta(days=1), issue=MONDAY - timedelta(30))
    messaging = Messaging(stack, tenant.id)

    handed_over = []
    real_hand_over = handover_repository.hand_over_part

    async def fails_on_the_second_part(session, tenant_ctx, run_id, as_of, part, batch):
        if handed_over:
            raise RuntimeError("the database refused the part")
        handed_over.append(part)
        await real_hand_over(session, tenant_ctx, run_id, as_of, part, batch)

    monkeypatch.setattr(handover_repository, "hand_over_part", fails_on_the_second_part)
    response = await api.post("/v1/dunning-runs", json={"as_of": MONDAY.isoformat()}, headers=tenant.admin)
    run_id = response.json()["id"]
    await run_worker(WorkerSettings)
    failed = (await api.get(f"/v1/dunning-runs/{run_id}", headers=tenant.admin)).json()
    assert failed["status"] == "failed"
    assert "the database refused the part" in failed["note"]
    first = await messaging.take()
    assert 0 < len(first) < CUSTOMERS  # one part went out
    assert [t.title for t in messaging.tasks] == [
        "Contactar a Sin contacto: no queda canal para el recordatorio automático"
    ]
    async with stack.engine.connect() as conn:
        kept = dict(
            (
                await conn.execute(
                    text(
                        "SELECT coalesce(channel, 'task'), count(*) FROM dunning.dispatches "
                        "WHERE run_id = :r GROUP BY 1"
                    ),
                    {"r": run_id},
                )
            ).all()
        )
        parts = list(
            (await conn.execute(text("SELECT part FROM dunning.run_parts WHERE run_id = :r"), {"r": run_id})).scalars()
        )
    assert kept == {"email": len(first), "task": 1}  # what never left the service is gone; the task stays
    assert parts == handed_over

    monkeypatch.setattr(handover_repository, "hand_over_part", real_hand_over)
    again = await real_run(api, tenant.admin, MONDAY)
    assert again["status"] == "completed"
    rest = await messaging.take()
    assert len(rest) == CUSTOMERS - len(first)
    assert {c.customer.name for c in first} | {c.customer.name for c in rest} == {
        f"Cliente {n:02d}" for n in range(CUSTOMERS)
    }
    assert len(messaging.tasks) == 1  # the task is not handed over twice
