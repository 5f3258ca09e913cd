"""Migration 0049 moves each invoice's step awaiting messaging's answer from three columns of the invoice to
``dunning.pending_steps``, and back on a downgrade: no mark is lost either way (a lost mark would let the next run
send a reminder messaging still holds). The marks' life (pending, accepted, expired, done) is
``test_message_fate``'s; the run's reading of them, ``test_selection_agrees``'."""

import uuid
from datetime import UTC, date, datetime, timedelta

from tests.conftest import TEST_DATABASE, TEST_SERVER
from tests.support import scratch_database

SCRATCH = f"{TEST_DATABASE}_pending"


async def test_migration_0049_moves_every_pending_mark_to_its_table_and_back():
    tenant, customer = uuid.uuid4(), uuid.uuid4()
    held, unanswered, plain = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    step_2, step_3 = uuid.uuid4(), uuid.uuid4()
    since = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    async with scratch_database(TEST_SERVER, SCRATCH, "0048") as db:
        conn = db.conn
        await conn.executemany(
            "INSERT INTO dunning.invoices (tenant_id, id, customer_id, revision, number, currency, amount, "
            "open_amount, issue_date, due_date, status, steps_done, pending_step_id, pending_since, pending_accepted) "
            "VALUES ($1, $2, $3, 1, $4, 'ARS', 100, 100, $5, $6, 'normal', $7, $8, $9, $10)",
            [
                (tenant, held, customer, "F-1", date(2026, 10, 1), date(2026, 11, 1), [step_2], step_3, since, True),
                (tenant, unanswered, customer, "F-2", date(2026, 10, 1), date(2026, 11, 1), [], step_2, since, False),
                (tenant, plain, customer, "F-3", date(2026, 10, 1), date(2026, 11, 1), [step_2], None, None, False),
            ],
        )
        await db.migrate("0049")
        marks = await conn.fetch("SELECT tenant_id, invoice_id, step_id, since, accepted FROM dunning.pending_steps")
        assert {tuple(mark) for mark in marks} == {
            (tenant, held, step_3, since, True),
            (tenant, unanswered, step_2, since, False),
        }
        columns = await conn.fetchval(
            "SELECT count(*) FROM information_schema.columns "
            "WHERE table_schema = 'dunning' AND table_name = 'invoices' AND column_name LIKE 'pending%'"
        )
        assert columns == 0
        assert await conn.fetchval("SELECT steps_done FROM dunning.invoices WHERE id = $1", held) == [step_2]

        await conn.execute(
            "UPDATE dunning.pending_steps SET since = since + interval '1 day' WHERE invoice_id = $1", unanswered
        )
        await db.migrate("0048", down=True)
        back = await conn.fetch(
            "SELECT id, pending_step_id, pending_since, pending_accepted FROM dunning.invoices ORDER BY number"
        )
        assert [tuple(row) for row in back] == [
            (held, step_3, since, True),
            (unanswered, step_2, since + timedelta(days=1), False),
            (plain, None, None, False),
        ]
