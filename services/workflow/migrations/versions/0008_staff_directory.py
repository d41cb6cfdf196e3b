"""staff directory: officers (agency, roles, title, effective dates, who keeps the entry) and their assignments

Revision ID: 0008
Revises: i0006
Create Date: 2026-12-14 09:00:00
"""

import sqlalchemy as sa
from alembic import op

import services.chassis.database

revision = "0008"
# Pre-assigned to follow "0007" (issue #22's catalogue migration, on another branch): the merge sets
# down_revision = "0007". On this branch the newest revision is "i0006".
down_revision = "i0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "officers",
        sa.Column("subject", sa.String(length=100), nullable=False),
        sa.Column("full_name", sa.String(length=200), server_default="", nullable=False),
        sa.Column("title", sa.String(length=200), server_default="", nullable=False),
        sa.Column("unit", sa.String(length=30), nullable=False),
        sa.Column("roles", sa.Text(), server_default="[]", nullable=False),
        sa.Column("email", sa.String(length=254), server_default="", nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("revoked_at", services.chassis.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", services.chassis.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", services.chassis.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("subject", name=op.f("pk_officers")),
    )
    with op.batch_alter_table("officers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_officers_unit"), ["unit"], unique=False)
    op.create_table(
        "officer_assignments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("subject", sa.String(length=100), nullable=False),
        sa.Column("unit", sa.String(length=30), nullable=False),
        sa.Column("roles", sa.Text(), nullable=False),
        sa.Column("title", sa.String(length=200), server_default="", nullable=False),
        sa.Column("change", sa.String(length=20), nullable=False),
        sa.Column("started_at", services.chassis.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", services.chassis.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("changed_by", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_officer_assignments")),
    )
    with op.batch_alter_table("officer_assignments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_officer_assignments_subject"), ["subject"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("officer_assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_officer_assignments_subject"))
    op.drop_table("officer_assignments")
    with op.batch_alter_table("officers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_officers_unit"))
    op.drop_table("officers")
