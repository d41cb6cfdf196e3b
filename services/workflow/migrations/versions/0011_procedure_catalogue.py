"""procedure catalogue: every version of every procedure with its status and effective date, and the changes

Revision ID: 0011
Revises: 0010
Create Date: 2027-01-12 09:00:00
"""

import sqlalchemy as sa
from alembic import op

import services.chassis.database

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "procedure_versions",
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("field", sa.Text(), server_default="", nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("change_id", sa.Integer(), nullable=False),
        sa.Column("created_at", services.chassis.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("published_at", services.chassis.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("published_by", sa.String(length=100), nullable=True),
        sa.Column("withdrawn_at", services.chassis.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_by", sa.String(length=100), nullable=True),
        sa.Column("withdrawn_reason", sa.Text(), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("code", "version", name=op.f("pk_procedure_versions")),
    )
    op.create_table(
        "catalogue_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("at", services.chassis.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(length=100), nullable=False),
        sa.Column("details", sa.Text(), server_default="{}", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogue_changes")),
    )


def downgrade() -> None:
    op.drop_table("catalogue_changes")
    op.drop_table("procedure_versions")
