"""the work queue's index: a unit's open cases found without a scan of every case

Revision ID: 0010
Revises: 0009
Create Date: 2027-01-05 10:00:00
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_cases_agency_code_status", "cases", ["agency_code", "status"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_cases_agency_code_status", table_name="cases")
