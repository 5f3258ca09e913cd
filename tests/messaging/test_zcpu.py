import time
from datetime import UTC, datetime

import bench.messaging as bm
from messaging_service.delivery.acceptance import accept
from messaging_service.delivery.dispatch import deliver, startup
from shared.contracts.messaging import SendCommunications
from shared.db import unit_of_work
from shared.outbox import relay_once
from shared.worker import build_context
from tests.messaging.support import messaging_tenant, settings

N = 4000


async def test_cpu(api, stack):
    smtp = bm.start_smtp(8398)
    tenant = await messaging_tenant(api, stack)
    raw = [c.model_dump(mode="json") for c in bm.communications(N)]
    ctx = {"redis": stack.arq}
    s = settings(smtp_port=8398, delivery_batch_size=250, smtp_connections=8)
    await build_context(ctx, s, "messaging", {})
    await startup(ctx)
    c = time.process_time()
    comms = SendCommunications.model_validate({"communications": raw}).communications
    print("parse", 1000 * (time.process_time() - c) / N)
    c = time.process_time()
    for start in range(0, N, 500):
        async with unit_of_work(ctx["sessionmaker"]) as session:
            await accept(session, s, tenant.id, comms[start : start + 500], datetime.now(UTC))
    print("accept", 1000 * (time.process_time() - c) / N)
    c = time.process_time()
    while await relay_once(stack.engine, stack.arq, "messaging"):
        pass
    print("relay (1 event)", 1000 * (time.process_time() - c) / N)
    c = time.process_time()
    n = await deliver(ctx)
    print("deliver", n, 1000 * (time.process_time() - c) / N)
    c = time.process_time()
    while await relay_once(stack.engine, stack.arq, "messaging"):
        pass
    print("relay (1 event)", 1000 * (time.process_time() - c) / N)
    smtp.terminate()
