"""cases remember their filing channel (online share of the indicators); calendar corrections published at run time

Revision ID: i0006
Revises: i0005
Create Date: 2026-12-10 10:00:00
"""

import sqlalchemy as sa
from alembic import op

import services.chassis.database

revision = "i0006"
down_revision = "i0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("channel", sa.String(length=10), server_default="online", nullable=False))
    op.create_table(
        "calendar_corrections",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("published_by", sa.String(length=100), nullable=False),
        sa.Column("published_at", services.chassis.database.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_corrections")),
    )
    with op.batch_alter_table("calendar_corrections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calendar_corrections_day"), ["day"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("calendar_corrections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_corrections_day"))
    op.drop_table("calendar_corrections")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("channel")
