"""document versions: files sent with a completion or a supplement become later versions of a dossier document

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 10:00:00
"""

import sqlalchemy as sa
from alembic import op

from services.chassis.database import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("dossier_documents", sa.Column("version", sa.Integer(), server_default="1", nullable=False))
    op.add_column(
        "dossier_documents",
        sa.Column("origin", sa.String(length=12), server_default="submission", nullable=False),
    )
    op.add_column("dossier_documents", sa.Column("added_at", UTCDateTime(timezone=True), nullable=True))
    op.create_index(
        "uq_dossier_documents_version",
        "dossier_documents",
        ["dossier_code", "requirement_code", "version"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_dossier_documents_version", table_name="dossier_documents")
    with op.batch_alter_table("dossier_documents") as batch:
        batch.drop_column("added_at")
        batch.drop_column("origin")
        batch.drop_column("version")
