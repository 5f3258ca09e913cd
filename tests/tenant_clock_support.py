"""A sandbox tenant's test clock set through the public API (issue 15): ``POST /v1/test-clock`` by its admin; the
gateway announces it (``gateway.tenant_changed``) and the caller delivers it to the services."""

from datetime import datetime

import httpx

from tests.support import TenantCtx


async def start_test_clock(api: httpx.AsyncClient, tenant: TenantCtx, instant: datetime) -> None:
    """Start the sandbox tenant's clock at ``instant`` (once: later it only advances)."""
    response = await api.post("/v1/test-clock", json={"frozen_time": instant.isoformat()}, headers=tenant.admin)
    assert response.status_code == 200, response.text
    assert response.json()["frozen_time"] == instant.isoformat().replace("+00:00", "Z")
