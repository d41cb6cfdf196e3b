"""change marks: one revision per kind of run-time catalogue change, read by every unit of work

Replaces counting and taking the maximum of calendar_corrections, unit_changes, province_settings and
catalogue_changes on every transaction (six subqueries over tables that only grow). Each kind starts at the number
of rows it has, so a database seeded before keeps "seeded" (units > 0) and "catalogue in the database"
(catalogue > 0).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 08:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

KINDS = {
    "calendar": "calendar_corrections",
    "units": "unit_changes",
    "settings": "province_settings",
    "catalogue": "catalogue_changes",
}


def upgrade() -> None:
    op.create_table(
        "change_marks",
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_change_marks")),
    )
    for name, table in KINDS.items():
        op.execute(f"INSERT INTO change_marks (name, revision) SELECT '{name}', count(*) FROM {table}")


def downgrade() -> None:
    op.drop_table("change_marks")
