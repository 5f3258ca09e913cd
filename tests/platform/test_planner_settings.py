"""``shared.db.planner_settings``: planner settings for the statements of one block, the transaction's own after it
(the experiments' deal and the charges' assessment run inside a run's transaction that plans other statements)."""

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import planner_settings, set_local


async def _settings(session: AsyncSession) -> tuple[str, str]:
    row = (await session.execute(text("SELECT current_setting('enable_nestloop'), current_setting('work_mem')"))).one()
    return row[0], row[1]


async def test_the_settings_hold_inside_the_block_and_go_back_after_it(stack):
    async with stack.engine.connect() as conn, conn.begin(), AsyncSession(bind=conn) as session:
        await set_local(session, work_mem="8MB")  # the transaction's own, set before the block
        async with planner_settings(session, enable_nestloop="off", work_mem="64MB"):
            assert await _settings(session) == ("off", "64MB")
        assert await _settings(session) == ("on", "8MB")
