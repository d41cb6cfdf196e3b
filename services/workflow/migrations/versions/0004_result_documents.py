"""signed result documents

Revision ID: i0003
Revises: 0003
Create Date: 2026-11-22 23:55:00
"""

import sqlalchemy as sa
from alembic import op

import services.chassis.database

revision = "i0003"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "result_documents",
        sa.Column("verification_code", sa.String(length=16), nullable=False),
        sa.Column("dossier_code", sa.String(length=60), nullable=False),
        sa.Column("agency_code", sa.String(length=30), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("file_ref", sa.Text(), server_default="", nullable=False),
        sa.Column("signer", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", services.chassis.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("signed_at", services.chassis.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", services.chassis.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.Text(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_code"], ["cases.dossier_code"], name=op.f("fk_result_documents_dossier_code_cases")
        ),
        sa.PrimaryKeyConstraint("verification_code", name=op.f("pk_result_documents")),
        sa.UniqueConstraint("dossier_code", name=op.f("uq_result_documents_dossier_code")),
    )
    with op.batch_alter_table("result_documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_result_documents_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_result_documents_sha256"), ["sha256"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("result_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_result_documents_sha256"))
        batch_op.drop_index(batch_op.f("ix_result_documents_status"))
    op.drop_table("result_documents")
