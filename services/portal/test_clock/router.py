from services.portal.test_clock.service import pending
from shared.test_clock import internal_router

router = internal_router(None, pending)
