from dunning_service.test_clock.service import pending, run_day
from shared.test_clock import internal_router

router = internal_router(run_day, pending)
