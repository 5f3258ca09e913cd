"""The messaging schema."""

from shared.db import make_base
from shared.inbox import inbox_table
from shared.outbox import outbox_table

SCHEMA = "messaging"
Base = make_base(SCHEMA)
outbox = outbox_table(Base.metadata)
inbox = inbox_table(Base.metadata)
