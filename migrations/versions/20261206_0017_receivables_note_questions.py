"""receivables: a note answers seed 004's three questions: who was spoken to, why the customer has not paid, what
was agreed

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

S = "receivables"


def upgrade() -> None:
    op.add_column("notes", sa.Column("spoken_with", sa.String(200), nullable=True), schema=S)
    op.add_column("notes", sa.Column("reason", sa.String(30), nullable=True), schema=S)
    op.add_column("notes", sa.Column("agreed", sa.Text, nullable=True), schema=S)


def downgrade() -> None:
    for column in ("agreed", "reason", "spoken_with"):
        op.drop_column("notes", column, schema=S)
