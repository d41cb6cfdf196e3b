"""refunds whose outcome is unknown are settled by a leader: who, when, on what evidence; the audit chain

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 16:00:00
"""

import sqlalchemy as sa
from alembic import op

import services.chassis.database

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("refunds", sa.Column("settled_by", sa.String(length=100), nullable=True))
    op.add_column(
        "refunds",
        sa.Column("settled_at", services.chassis.database.UTCDateTime(timezone=True), nullable=True),
    )
    op.add_column("refunds", sa.Column("settlement_note", sa.Text(), nullable=True))
    op.add_column("refunds", sa.Column("idempotency_key", sa.String(length=100), nullable=True))
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.create_table(
        "audit_log",
        sa.Column(
            "seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=False, nullable=False
        ),
        sa.Column("at", services.chassis.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=80), nullable=False),
        sa.Column("target", sa.String(length=100), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_log")),
    )


def downgrade() -> None:
    op.drop_table("audit_log")
    op.drop_table("audit_head")
    with op.batch_alter_table("refunds") as batch:
        batch.drop_column("idempotency_key")
        batch.drop_column("settlement_note")
        batch.drop_column("settled_at")
        batch.drop_column("settled_by")
