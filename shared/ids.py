"""Time-ordered ids (UUID version 7: 48 bits of Unix milliseconds, then random) minted in bulk.

Rows written in bulk get keys that land at the right edge of their primary-key index, as
``<schema>.uuid7()`` gives in SQL; minting them here costs Python a fraction of what the SQL function costs
PostgreSQL per row.
"""

import os
import time

_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


def uuid7_head() -> str:
    """The first 15 characters of this millisecond's version-7 UUIDs (``xxxxxxxx-xxxx-7``): a statement that mints
    ids appends the rest of a random UUID's text to it (``dunning.runs.statements``)."""
    millis = f"{time.time_ns() // 1_000_000:012x}"
    return f"{millis[:8]}-{millis[8:]}-7"


def uuid7_texts(count: int) -> list[str]:
    """``count`` distinct version-7 UUIDs of this millisecond, as text."""
    head = uuid7_head()
    noise = os.urandom(10 * count).hex()
    return [
        f"{head}{noise[i : i + 3]}-{_VARIANT[noise[i + 3]]}{noise[i + 4 : i + 7]}-{noise[i + 7 : i + 19]}"
        for i in range(0, 20 * count, 20)
    ]
