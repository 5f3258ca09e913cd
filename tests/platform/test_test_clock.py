"""Test clocks (issue 15): a sandbox tenant's clock is set through the public API, announced to every service, and
every service's tenant object then answers that clock's now and today; a live tenant cannot have one."""

import uuid
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from alarms_service.tenant_settings.repository import load_tenant as alarms_tenant
from dunning_service.runs.context import load_tenant as dunning_tenant
from dunning_service.worker import WorkerSettings as DunningWorker
from messaging_service.models import TenantSettings
from services.receivables.tenant_settings.repository import load_profile
from shared.calendar import local_today
from shared.contracts.gateway import TenantChanged
from shared.messages import Envelope
from shared.outbox import HANDLE_MESSAGES, envelopes_of, queue_name
from tests.alarms.support import deliver_gateway
from tests.messaging.support import run_messaging
from tests.messaging.support import settings as messaging_settings
from tests.receivables.helpers import customer, invoice, setup_tenant, sync
from tests.support import create_tenant, create_user, run_worker

PROBLEM = "application/problem+json"
ZONE = "America/Argentina/Buenos_Aires"
# Months away from today (the suite runs in December 2026), late enough in the UTC day to be noon in Buenos Aires.
FAR = datetime(2027, 7, 15, 15, 0, tzinfo=UTC)


def problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    return response.json()


async def announce_everywhere(stack) -> None:
    """The gateway's events reach receivables, alarms, dunning and messaging the real way (outbox, relay, workers)."""
    await deliver_gateway(stack)  # relays the gateway's outbox; receivables' and alarms' workers
    await run_worker(DunningWorker)
    await run_messaging(messaging_settings())


async def start(api: httpx.AsyncClient, headers: dict[str, str], frozen_time: str) -> httpx.Response:
    return await api.post("/v1/test-clock", json={"frozen_time": frozen_time}, headers=headers)


async def test_a_sandbox_tenant_is_created_by_the_operator_and_starts_on_the_wall_clock(api):
    tenant = await create_tenant(api, sandbox=True, timezone=ZONE)
    shown = (await api.get("/v1/tenant", headers=tenant.admin)).json()
    assert shown["sandbox"] is True and shown["test_clock"] is None

    before = local_today(ZONE).isoformat()
    clock = await api.get("/v1/test-clock", headers=tenant.admin)
    assert clock.status_code == 200, clock.text
    body = clock.json()
    assert body["sandbox"] is True and body["frozen_time"] is None and body["timezone"] == ZONE
    assert body["today"] in {before, local_today(ZONE).isoformat()}  # the wall clock's date (midnight may pass)

    live = await create_tenant(api)
    assert (await api.get("/v1/tenant", headers=live.admin)).json()["sandbox"] is False


async def test_a_live_tenant_cannot_have_a_clock(api, stack):
    live = await create_tenant(api)
    refused = problem(await start(api, live.admin, "2027-01-04T09:00:00-03:00"), 403)
    assert refused["type"].endswith("/not-a-sandbox") and "sandbox" in refused["detail"]
    assert problem(await api.get("/v1/test-clock", headers=live.admin), 403)["type"].endswith("/not-a-sandbox")
    assert (await api.get("/v1/tenant", headers=live.admin)).json()["test_clock"] is None

    # Nor behind the API's back: the database holds the rule too.
    with pytest.raises(IntegrityError, match="ck_tenants_test_clock_sandbox"):
        async with stack.engine.begin() as conn:
            await conn.execute(text("UPDATE gateway.tenants SET test_clock = now() WHERE id = :id"), {"id": live.id})


async def test_the_admin_sets_the_start_once_and_it_is_announced(api, stack):
    tenant = await create_tenant(api, sandbox=True, timezone=ZONE)
    _, collector = await create_user(api, tenant, "collector")
    assert problem(await start(api, collector, "2027-07-15T12:00:00-03:00"), 403)["type"].endswith("/forbidden")

    response = await start(api, tenant.admin, "2027-07-15T12:00:00-03:00")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "tenant_id": str(tenant.id),
        "sandbox": True,
        "frozen_time": "2027-07-15T15:00:00Z",
        "timezone": ZONE,
        "today": "2027-07-15",
        "advance": None,  # never advanced
    }
    # Everyone of the tenant reads it; it does not tick.
    assert (await api.get("/v1/test-clock", headers=collector)).json() == response.json()
    assert (await api.get("/v1/tenant", headers=tenant.admin)).json()["test_clock"] == "2027-07-15T15:00:00Z"

    again = problem(await start(api, tenant.admin, "2027-08-01T12:00:00-03:00"), 409)
    assert "/v1/test-clock/advance" in again["detail"]
    assert (await api.get("/v1/test-clock", headers=collector)).json()["frozen_time"] == "2027-07-15T15:00:00Z"

    async with stack.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT * FROM gateway.outbox ORDER BY seq"))).all()
        envelopes = [e for row in rows for e in await envelopes_of(conn, row)]
    announced = [
        TenantChanged.model_validate(e["payload"])
        for e in envelopes
        if e["type"] == TenantChanged.message_type and e["payload"]["tenant_id"] == str(tenant.id)
    ]
    assert [(m.sandbox, m.test_clock) for m in announced] == [(True, None), (True, FAR)]


async def test_bad_starts_are_refused_naming_the_field(api):
    tenant = await create_tenant(api, sandbox=True)
    for frozen_time in ("2027-07-15T12:00:00", "1999-12-31T12:00:00Z", "2100-01-01T00:00:00Z", "mañana"):
        body = problem(await start(api, tenant.admin, frozen_time), 422)
        assert [e["field"] for e in body["errors"]] == ["frozen_time"], (frozen_time, body)
    extra = await api.post(
        "/v1/test-clock", json={"frozen_time": "2027-07-15T12:00:00Z", "speed": 2}, headers=tenant.admin
    )
    assert [e["field"] for e in problem(extra, 422)["errors"]] == ["speed"]
    assert (await api.get("/v1/test-clock", headers=tenant.admin)).json()["frozen_time"] is None


async def test_every_service_reads_the_tenants_clock(api, stack):
    """Set months away, the clock is what each service's tenant object answers: receivables' profile, dunning's
    context, alarms' view and messaging's settings; a live tenant beside it keeps the wall clock."""
    tenant = await create_tenant(api, sandbox=True, timezone=ZONE)
    live = await create_tenant(api, timezone=ZONE)
    assert (await start(api, tenant.admin, FAR.isoformat())).status_code == 200
    await announce_everywhere(stack)

    async with stack.engine.connect() as conn:
        receivables = await load_profile(conn, tenant.id)
        dunning = await dunning_tenant(conn, tenant.id)
        alarms = await alarms_tenant(conn, tenant.id)
        live_dunning = await dunning_tenant(conn, live.id)
    async with stack.engine.connect() as conn:
        messaging = (
            await conn.execute(text("SELECT * FROM messaging.tenant_settings WHERE tenant_id = :id"), {"id": tenant.id})
        ).one()
    messaging_clock = TenantSettings(timezone=messaging.timezone, test_clock=messaging.test_clock).clock
    for clock in (receivables.clock, dunning.clock, alarms.clock, messaging_clock):
        assert clock.is_test and clock.now() == FAR and clock.today() == date(2027, 7, 15)
    assert receivables.sandbox and dunning.sandbox and alarms.sandbox and messaging.sandbox
    assert receivables.today() == dunning.today() == date(2027, 7, 15)
    assert not live_dunning.clock.is_test and not live_dunning.sandbox
    assert abs(live_dunning.clock.now() - datetime.now(UTC)) < timedelta(days=1)

    # What the services' APIs say "today" is, by the clock.
    receivables_today = (await api.get("/v1/receivables-settings", headers=tenant.admin)).json()["today"]
    dunning_today = (await api.get("/v1/dunning-settings", headers=tenant.admin)).json()["today"]
    assert receivables_today == dunning_today == "2027-07-15"
    assert (await api.get("/v1/dunning-settings", headers=live.admin)).json()["today"] != "2027-07-15"


async def test_the_clock_is_read_in_the_tenants_time_zone(api, stack):
    tenant = await create_tenant(api, sandbox=True, timezone=ZONE)
    response = await start(api, tenant.admin, "2027-03-01T02:30:00Z")  # still 28 February in Buenos Aires
    assert response.json()["today"] == "2027-02-28"
    await announce_everywhere(stack)
    async with stack.engine.connect() as conn:
        assert (await load_profile(conn, tenant.id)).today() == date(2027, 2, 28)
        assert (await dunning_tenant(conn, tenant.id)).today() == date(2027, 2, 28)


async def test_receivables_counts_overdue_days_by_the_clock(api, stack):
    """An invoice due next spring is not overdue today; a sandbox tenant whose clock stands in July sees it 44 days
    overdue, and a live tenant's identical invoice is not."""
    sandbox = await setup_tenant(api, stack, sandbox=True, timezone=ZONE)
    live = await setup_tenant(api, stack, timezone=ZONE)
    assert (await start(api, sandbox.admin, FAR.isoformat())).status_code == 200
    await sync(stack)
    due = "2027-06-01"
    on_clock = await invoice(sandbox, (await customer(sandbox))["id"], due_date=due)
    on_wall = await invoice(live, (await customer(live))["id"], due_date=due)
    assert on_clock["days_overdue"] == 44
    assert on_wall["days_overdue"] == -(date(2027, 6, 1) - live.today).days < 0
    shown = (await api.get(f"/v1/invoices/{on_clock['id']}", headers=sandbox.admin)).json()
    assert shown["days_overdue"] == 44
    assert uuid.UUID(shown["id"]) == uuid.UUID(on_clock["id"])


async def test_a_late_older_announcement_never_moves_a_clock_back(api, stack):
    """The clock moves often (every advanced day): an announcement that arrives after a newer one is ignored by
    every service's projection."""
    tenant = await create_tenant(api, sandbox=True, timezone=ZONE)
    await announce_everywhere(stack)
    announced = datetime.now(UTC) + timedelta(minutes=5)  # after the announcements of the creation
    earlier, later = FAR - timedelta(days=3), FAR

    def announcement(clock: datetime, at: datetime) -> dict:
        message = TenantChanged(
            tenant_id=tenant.id,
            slug=tenant.slug,
            name=f"Empresa {tenant.slug}",
            country="AR",
            timezone=ZONE,
            default_currency="ARS",
            language="es",
            sandbox=True,
            test_clock=clock,
        )
        return Envelope.wrap(message, tenant.id).model_copy(update={"occurred_at": at}).model_dump(mode="json")

    def newer() -> dict:
        return announcement(later, announced + timedelta(seconds=2))

    def older() -> dict:
        return announcement(earlier, announced)

    # The newer one; then the older one alone, after it; then both in one batch, the older one last.
    for batch in ([newer()], [older()], [newer(), older()]):
        for service in ("receivables", "dunning", "messaging", "alarms"):
            await stack.arq.enqueue_job(HANDLE_MESSAGES, batch, _queue_name=queue_name(service))
        await announce_everywhere(stack)
        async with stack.engine.connect() as conn:
            clocks = {
                "receivables": (await load_profile(conn, tenant.id)).test_clock,
                "dunning": (await dunning_tenant(conn, tenant.id)).test_clock,
                "alarms": (await alarms_tenant(conn, tenant.id)).test_clock,
                "messaging": await conn.scalar(
                    text("SELECT test_clock FROM messaging.tenant_settings WHERE tenant_id = :id"), {"id": tenant.id}
                ),
            }
        assert clocks == dict.fromkeys(clocks, later), batch
