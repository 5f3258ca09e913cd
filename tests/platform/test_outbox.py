"""The transactional outbox, its relay and idempotent consumers: each event takes effect exactly once,
whatever process dies where."""

import asyncio
import json
import sys
import textwrap
import uuid

import pytest
from sqlalchemy import text

from api_gateway.models import SCHEMA as GATEWAY
from api_gateway.models import outbox as gateway_outbox
from services.receivables.models import SCHEMA as RECEIVABLES
from services.receivables.settings import ReceivablesSettings
from services.receivables.worker import HANDLERS as RECEIVABLES_HANDLERS
from shared.contracts.gateway import UserChanged
from shared.db import create_sessionmaker, unit_of_work
from shared.inbox import process_batch
from shared.messages import Envelope
from shared.outbox import emit, queue_name, relay_once
from shared.worker import worker_settings
from tests.support import DiesAfterEnqueue, Killed, create_tenant, run_worker


@pytest.fixture
async def effects(stack, api):
    """A table the test handler appends to: a non-idempotent effect, so a double delivery would show."""
    async with stack.engine.begin() as conn:
        await conn.execute(text("CREATE TABLE IF NOT EXISTS receivables.test_effects (message_id uuid, email text)"))
        await conn.execute(text("TRUNCATE receivables.test_effects"))
    yield
    async with stack.engine.begin() as conn:
        await conn.execute(text("DROP TABLE receivables.test_effects"))


async def append_effect(ctx, session, batch):
    for received in batch:
        await session.execute(
            text("INSERT INTO receivables.test_effects VALUES (:id, :email)"),
            {"id": received.envelope.id, "email": received.message.email},
        )


# receivables' own handlers, with UserChanged's replaced: a worker must handle all it subscribes to
COUNTING_WORKER = worker_settings(
    ReceivablesSettings(), schema=RECEIVABLES, handlers={**RECEIVABLES_HANDLERS, UserChanged: append_effect}
)


async def effect_count(stack) -> int:
    async with stack.engine.connect() as conn:
        return (await conn.execute(text("SELECT count(*) FROM receivables.test_effects"))).scalar()


async def unpublished(stack, schema: str = GATEWAY) -> int:
    async with stack.engine.connect() as conn:
        return (await conn.execute(text(f"SELECT count(*) FROM {schema}.outbox WHERE published_at IS NULL"))).scalar()


def user_changed(email: str = "x@example.com") -> UserChanged:
    return UserChanged(user_id=uuid.uuid4(), email=email, full_name="X", roles=["collector"])


async def test_event_is_written_with_the_state_change_or_not_at_all(stack, api):
    sessionmaker = create_sessionmaker(stack.engine)
    with pytest.raises(RuntimeError):
        async with unit_of_work(sessionmaker) as session:
            await emit(session, gateway_outbox, uuid.uuid4(), user_changed())
            raise RuntimeError("the state change failed")
    assert await unpublished(stack) == 0
    async with unit_of_work(sessionmaker) as session:
        await emit(session, gateway_outbox, uuid.uuid4(), user_changed())
    assert await unpublished(stack) == 1


async def test_relay_puts_events_on_every_consumers_queue_and_marks_them(stack, api):
    await create_tenant(api)  # tenant_changed (4 consumers) + user_changed (2 consumers)
    assert await unpublished(stack) == 2
    assert await relay_once(stack.engine, stack.arq, GATEWAY) == 2
    assert await unpublished(stack) == 0
    for service in ("receivables", "dunning", "messaging", "alarms"):
        assert await stack.redis.zcard(queue_name(service)) >= 1
    assert await relay_once(stack.engine, stack.arq, GATEWAY) == 0


async def test_same_event_twice_takes_effect_once(stack, effects):
    sessionmaker = create_sessionmaker(stack.engine)
    envelope = Envelope.wrap(user_changed("twice@example.com"), uuid.uuid4()).model_dump(mode="json")
    handlers = {UserChanged: append_effect}
    assert await process_batch({}, sessionmaker, RECEIVABLES, handlers, [envelope]) == 1
    assert await process_batch({}, sessionmaker, RECEIVABLES, handlers, [envelope, envelope]) == 0
    assert await effect_count(stack) == 1


async def test_a_failing_message_does_not_hold_back_the_batch_and_is_dead_lettered(stack, effects):
    sessionmaker = create_sessionmaker(stack.engine)

    async def picky(ctx, session, batch):
        for received in batch:
            if received.message.email == "poison@example.com":
                raise ValueError("cannot handle this one")
        await append_effect(ctx, session, batch)

    good, bad = user_changed("good@example.com"), user_changed("poison@example.com")
    envelopes = [Envelope.wrap(m, uuid.uuid4()).model_dump(mode="json") for m in (good, bad)]
    with pytest.raises(ValueError, match="cannot handle"):  # not the last try: arq retries the job
        await process_batch({}, sessionmaker, RECEIVABLES, {UserChanged: picky}, envelopes)
    assert await effect_count(stack) == 1  # the good one went through on its own
    await process_batch({}, sessionmaker, RECEIVABLES, {UserChanged: picky}, envelopes, last_try=True)
    assert await effect_count(stack) == 1
    async with stack.engine.connect() as conn:
        dead = (await conn.execute(text("SELECT error FROM receivables.inbox WHERE error IS NOT NULL"))).all()
    assert len(dead) == 1 and "cannot handle" in dead[0].error


CRASH_AFTER_COMMIT = textwrap.dedent(
    """
    import asyncio, os, uuid
    from api_gateway.models import outbox
    from shared.contracts.gateway import UserChanged
    from shared.db import create_engine, create_sessionmaker, unit_of_work
    from shared.outbox import emit
    from shared.settings import ServiceSettings

    async def main():
        engine = create_engine(ServiceSettings())
        async with unit_of_work(create_sessionmaker(engine)) as session:
            message = UserChanged(user_id=uuid.uuid4(), email="crash@example.com", full_name="C", roles=["admin"])
            await emit(session, outbox, uuid.uuid4(), message)
        os._exit(1)  # the process dies after the commit, before any relay could enqueue

    asyncio.run(main())
    """
)


async def test_process_dies_between_commit_and_enqueue_event_arrives_once_after_restart(stack, effects):
    process = await asyncio.create_subprocess_exec(sys.executable, "-c", CRASH_AFTER_COMMIT)
    assert await process.wait() == 1
    assert await unpublished(stack) == 1
    # restart: the relay finds the committed row and delivers it
    assert await relay_once(stack.engine, stack.arq, GATEWAY) == 1
    await run_worker(COUNTING_WORKER)
    assert await effect_count(stack) == 1


async def test_relay_dies_between_enqueue_and_mark_event_still_takes_effect_once(stack, api, effects):
    sessionmaker = create_sessionmaker(stack.engine)
    async with unit_of_work(sessionmaker) as session:
        await emit(session, gateway_outbox, uuid.uuid4(), user_changed("once@example.com"))
    with pytest.raises(Killed):
        await relay_once(stack.engine, DiesAfterEnqueue(stack.arq, queue=queue_name(RECEIVABLES)), GATEWAY)
    assert await unpublished(stack) == 1  # not marked: it will be sent again
    await run_worker(COUNTING_WORKER)  # the first delivery is consumed
    assert await relay_once(stack.engine, stack.arq, GATEWAY) == 1  # sent again after the restart
    await stack.redis.delete(*[k async for k in stack.redis.scan_iter("arq:result:*")])  # even once arq forgot it
    await relay_once(stack.engine, stack.arq, GATEWAY)
    async with unit_of_work(sessionmaker) as session:
        await session.execute(text("UPDATE gateway.outbox SET published_at = NULL"))
    await relay_once(stack.engine, stack.arq, GATEWAY)
    await run_worker(COUNTING_WORKER)
    assert await effect_count(stack) == 1


async def test_user_events_reach_the_receivables_projection(stack, api):
    from services.receivables.worker import WorkerSettings

    tenant = await create_tenant(api)
    await relay_once(stack.engine, stack.arq, GATEWAY)
    await run_worker(WorkerSettings)
    async with stack.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT tenant_id, roles FROM receivables.users"))).all()
    assert rows == [(tenant.id, ["admin"])]


async def test_an_operator_replays_a_dead_letter_once_the_cause_is_fixed(stack, effects, capsys):
    import argparse

    from api_gateway.admin import list_dead_letters, replay

    sessionmaker = create_sessionmaker(stack.engine)

    async def broken(ctx, session, batch):
        raise RuntimeError("bug in the handler")

    envelope = Envelope.wrap(user_changed("later@example.com"), uuid.uuid4()).model_dump(mode="json")
    await process_batch({}, sessionmaker, RECEIVABLES, {UserChanged: broken}, [envelope], last_try=True)
    await list_dead_letters(argparse.Namespace(service=RECEIVABLES))
    assert "bug in the handler" in capsys.readouterr().out
    await replay(argparse.Namespace(service=RECEIVABLES, id=None))
    assert "replayed" in capsys.readouterr().out
    await run_worker(COUNTING_WORKER)  # the fixed handler
    assert await effect_count(stack) == 1
    await list_dead_letters(argparse.Namespace(service=RECEIVABLES))
    assert capsys.readouterr().out == ""


async def test_a_failing_batch_is_retried_by_the_worker_until_it_succeeds(stack, effects):
    """arq retries only jobs that raise ``Retry``: the consumer job turns every failure into one."""
    failures = {"left": 2}

    async def flaky(ctx, session, batch):
        if failures["left"]:
            failures["left"] -= 1
            raise ConnectionError("the database went away")
        await append_effect(ctx, session, batch)

    settings = ReceivablesSettings(retry_base_seconds=0.01)
    worker = worker_settings(settings, schema=RECEIVABLES, handlers={**RECEIVABLES_HANDLERS, UserChanged: flaky})
    envelope = Envelope.wrap(user_changed("retry@example.com"), uuid.uuid4()).model_dump(mode="json")
    await stack.arq.enqueue_job("handle_messages", [envelope], _queue_name=queue_name(RECEIVABLES))
    await run_worker(worker)
    assert failures["left"] == 0
    assert await effect_count(stack) == 1


def test_retry_delays_double_up_to_five_minutes():
    from shared.worker import retry_delay

    assert [retry_delay(n, 1.0) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 8.0]
    assert retry_delay(40, 1.0) == 300.0


async def test_a_relay_pass_reads_a_bounded_number_of_payload_bytes(stack, monkeypatch):
    """Rows of a hundred messages each (a dunning run's) are relayed a few at a time: never hundreds of megabytes
    in one process (issue 13, memory); each envelope weighs by its size, so jobs stay small too."""
    from shared import outbox

    async with stack.engine.begin() as conn:
        for _ in range(12):  # ~90 KB each
            payload = {"items": [uuid.uuid4().hex * 4 for _ in range(700)]}
            await conn.execute(
                text(
                    "INSERT INTO gateway.outbox (id, message_type, version, consumers, payload, occurred_at) "
                    "VALUES (gen_random_uuid(), 'test.big', 1, '{receivables}', CAST(:p AS jsonb), now())"
                ),
                {"p": json.dumps(payload)},
            )
        stored = await conn.scalar(text("SELECT max(pg_column_size(payload)) FROM gateway.outbox"))
    monkeypatch.setattr(outbox, "PASS_BYTES", stored * 5 // 2)  # two of these rows, as stored
    passes = [await relay_once(stack.engine, stack.arq, GATEWAY) for _ in range(12)]
    assert passes[0] == 2
    assert sum(passes) == 12
    assert await unpublished(stack) == 0
    jobs = await stack.redis.zcard(queue_name("receivables"))
    assert jobs >= 12 // outbox.JOB_BATCH + 4  # heavy envelopes travel a few per job, not 200
