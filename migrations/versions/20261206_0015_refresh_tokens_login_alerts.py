"""gateway: refresh_tokens (rotating, revocable, stored as sha256); alarms: login_alerts (failed-login alarms)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "refresh_tokens",
        sa.Column("id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("tenant_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("user_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("family_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("spent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_refresh_tokens"),
        sa.ForeignKeyConstraint(["tenant_id"], ["gateway.tenants.id"], name="fk_refresh_tokens_tenant_id_tenants"),
        sa.ForeignKeyConstraint(["user_id"], ["gateway.users.id"], name="fk_refresh_tokens_user_id_users"),
        sa.UniqueConstraint("token_hash", name="uq_refresh_tokens_token_hash"),
        schema="gateway",
    )
    op.create_index("ix_refresh_tokens_family_id", "refresh_tokens", ["family_id"], schema="gateway")
    op.create_index(
        "ix_refresh_tokens_user_id_live",
        "refresh_tokens",
        ["user_id"],
        schema="gateway",
        postgresql_where=sa.text("revoked_at IS NULL"),
    )
    op.create_table(
        "login_alerts",
        sa.Column("id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("tenant_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("username", sa.String(320), nullable=False),
        sa.Column("address", sa.String(100), nullable=False),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("window_seconds", sa.Integer, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recipients", pg.ARRAY(sa.Text), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_login_alerts"),
        schema="alarms",
    )
    op.create_index(
        "ix_login_alerts_tenant_id_occurred_at", "login_alerts", ["tenant_id", "occurred_at"], schema="alarms"
    )


def downgrade() -> None:
    op.drop_table("login_alerts", schema="alarms")
    op.drop_table("refresh_tokens", schema="gateway")
