"""Create the database named in a SQLAlchemy URL if it does not exist yet."""

import asyncio
import sys

import asyncpg
from sqlalchemy.engine import make_url


async def main(url: str) -> None:
    target = make_url(url)
    server = target.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    conn = await asyncpg.connect(server)
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", target.database):
            await conn.execute(f'CREATE DATABASE "{target.database}"')
            print(f"created database {target.database}")
    finally:
        await conn.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
