"""fee schedules in the database: a version of a procedure's schedule from a day (issue #22)

Revision ID: 0006
Revises: 0005
Create Date: 2027-01-12 09:00:00
"""

import sqlalchemy as sa
from alembic import op

import services.chassis.database

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fee_schedules",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("procedure_code", sa.String(length=30), nullable=False),
        sa.Column("procedure_version", sa.Integer(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("schedule", sa.Text(), nullable=False),
        sa.Column("basis", sa.Text(), server_default="", nullable=False),
        sa.Column("origin", sa.String(length=10), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", services.chassis.database.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fee_schedules")),
    )
    with op.batch_alter_table("fee_schedules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fee_schedules_procedure_code"), ["procedure_code"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("fee_schedules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fee_schedules_procedure_code"))
    op.drop_table("fee_schedules")
