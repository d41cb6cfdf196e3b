"""province administration: units and agencies with their dated names and change log, the province's settings

Revision ID: 0012
Revises: 0011
Create Date: 2027-01-12 09:00:00
"""

import sqlalchemy as sa
from alembic import op

import services.chassis.database

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

UTC = services.chassis.database.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "admin_units",
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("parent", sa.String(length=20), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("successor", sa.String(length=20), nullable=True),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_admin_units")),
    )
    op.create_table(
        "agencies",
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_agencies")),
    )
    with op.batch_alter_table("agencies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agencies_unit"), ["unit"], unique=False)
    op.create_table(
        "catalogue_names",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("entity", sa.String(length=10), nullable=False),
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("basis", sa.Text(), server_default="", nullable=False),
        sa.Column("changed_by", sa.String(length=100), nullable=False),
        sa.Column("changed_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogue_names")),
    )
    with op.batch_alter_table("catalogue_names", schema=None) as batch_op:
        batch_op.create_index("ix_catalogue_names_entity_code", ["entity", "code"], unique=False)
    op.create_table(
        "unit_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("change", sa.String(length=12), nullable=False),
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=True),
        sa.Column("details", sa.Text(), server_default="{}", nullable=False),
        sa.Column("changed_by", sa.String(length=100), nullable=False),
        sa.Column("changed_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_changes")),
    )
    with op.batch_alter_table("unit_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_unit_changes_code"), ["code"], unique=False)
    op.create_table(
        "province_settings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.Column("changed_by", sa.String(length=100), nullable=False),
        sa.Column("changed_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_province_settings")),
    )
    with op.batch_alter_table("province_settings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_province_settings_name"), ["name"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("province_settings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_province_settings_name"))
    op.drop_table("province_settings")
    with op.batch_alter_table("unit_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unit_changes_code"))
    op.drop_table("unit_changes")
    with op.batch_alter_table("catalogue_names", schema=None) as batch_op:
        batch_op.drop_index("ix_catalogue_names_entity_code")
    op.drop_table("catalogue_names")
    with op.batch_alter_table("agencies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agencies_unit"))
    op.drop_table("agencies")
    op.drop_table("admin_units")
