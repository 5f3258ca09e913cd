"""Health, readiness and metrics on every service; JSON logs with request id and tenant."""

import json

import httpx
import pytest

from services.receivables.main import create_app as create_receivables
from services.receivables.settings import ReceivablesSettings
from tests.support import create_tenant, running


@pytest.mark.parametrize("app_name", ["gateway", "receivables", "dunning", "messaging", "alarms", "webhooks"])
async def test_health_readiness_and_metrics(stack, app_name):
    app = stack.gateway if app_name == "gateway" else stack.services[app_name]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://svc") as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        ready = await client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok", "redis": "ok"}
        metrics = await client.get("/metrics")
    assert metrics.status_code == 200 and "http_requests_total" in metrics.text


async def test_readiness_fails_when_redis_is_unreachable(database):
    app = create_receivables(ReceivablesSettings(redis_url="redis://127.0.0.1:1/0"))
    async with running(app), httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://svc") as client:
        response = await client.get("/readyz")
    assert response.status_code == 503 and response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["checks"]["database"] == "ok" and body["checks"]["redis"] != "ok"


async def test_metrics_count_requests_by_route_template(api, stack):
    tenant = await create_tenant(api)
    await api.get("/v1/customers", headers=tenant.admin)
    transport = httpx.ASGITransport(stack.services["receivables"])
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        text = (await client.get("/metrics")).text
    assert 'route="/v1/customers"' in text and 'service="receivables"' in text
    assert 'outbox_pending_messages{service="receivables"}' in text
    assert 'queue_length_jobs{service="receivables"}' in text


async def test_logs_are_json_with_request_id_and_tenant(api, capsys):
    from shared.logging import configure_logging

    configure_logging("gateway", "INFO", json=True)
    try:
        tenant = await create_tenant(api)
        capsys.readouterr()
        await api.get("/v1/customers", headers={**tenant.admin, "X-Request-Id": "log-me-1"})
        lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    finally:
        configure_logging("tests", "WARNING", json=True)
    requests = [line for line in lines if line.get("event") == "request" and line.get("request_id") == "log-me-1"]
    assert requests, lines
    assert all(line["tenant_id"] == str(tenant.id) for line in requests)
    assert {line["path"] for line in requests} == {"/v1/customers"}
