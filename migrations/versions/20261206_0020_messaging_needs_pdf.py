"""messaging: which queued messages need a PDF statement (messages.needs_pdf), so a deliver job sends them in their
own capped lane and a tenant's PDF emails never slow other messages; the due index leads with it

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

S = "messaging"
DUE = "state IN ('queued', 'deferred')"


def upgrade() -> None:
    op.add_column(
        "messages", sa.Column("needs_pdf", sa.Boolean, nullable=False, server_default=sa.text("false")), schema=S
    )
    # Messages still waiting that will attach a PDF (an email with the statement, a tenant whose formats hold pdf).
    op.execute(
        """
        UPDATE messaging.messages m SET needs_pdf = true
          FROM messaging.message_contents c, messaging.tenant_settings t
         WHERE c.message_id = m.id AND t.tenant_id = m.tenant_id
           AND m.channel = 'email' AND m.state IN ('queued', 'deferred', 'sending')
           AND coalesce(c.payload->>'attach_statement', 'false') = 'true'
           AND CASE WHEN jsonb_typeof(t.profile->'statement_formats') = 'array'
                     AND jsonb_array_length(t.profile->'statement_formats') > 0
                    THEN t.profile->'statement_formats' ? 'pdf'
                    ELSE true END  -- none chosen: the default, PDF and CSV
        """
    )
    op.drop_index("ix_messages_due", table_name="messages", schema=S)
    op.create_index(
        "ix_messages_due", "messages", ["needs_pdf", "scheduled_at"], schema=S, postgresql_where=sa.text(DUE)
    )


def downgrade() -> None:
    op.drop_index("ix_messages_due", table_name="messages", schema=S)
    op.create_index("ix_messages_due", "messages", ["scheduled_at"], schema=S, postgresql_where=sa.text(DUE))
    op.drop_column("messages", "needs_pdf", schema=S)
