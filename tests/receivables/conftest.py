import pytest

from tests.receivables.helpers import Ctx, setup_tenant


@pytest.fixture
async def rc(api, stack) -> Ctx:
    """A clean system with one tenant (Argentina), a collector and an ERP API key, projections synced."""
    return await setup_tenant(api, stack)
