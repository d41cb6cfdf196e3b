"""indexes for housekeeping: expired inbox rows found without a scan

Revision ID: i0005
Revises: i0004
Create Date: 2026-11-30 16:45:00
"""

from alembic import op

revision = "i0005"
down_revision = "i0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_inbox_processed_at", "inbox", ["processed_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_inbox_processed_at", table_name="inbox")
