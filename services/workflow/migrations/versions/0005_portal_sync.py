"""national portal sync records

Revision ID: i0004
Revises: i0003
Create Date: 2026-11-22 23:58:00
"""

import sqlalchemy as sa
from alembic import op

import services.chassis.database

revision = "i0004"
down_revision = "i0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "portal_sync",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("dossier_code", sa.String(length=60), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", services.chassis.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", services.chassis.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", services.chassis.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("acked_at", services.chassis.database.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_sync")),
        sa.UniqueConstraint("dossier_code", "seq", name="uq_portal_sync_dossier_seq"),
    )
    with op.batch_alter_table("portal_sync", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_portal_sync_dossier_code"), ["dossier_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_portal_sync_state"), ["state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("portal_sync", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_sync_state"))
        batch_op.drop_index(batch_op.f("ix_portal_sync_dossier_code"))
    op.drop_table("portal_sync")
