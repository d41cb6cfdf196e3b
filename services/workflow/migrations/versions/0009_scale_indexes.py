"""indexes for a province's size: statistics read only their period's rows, the queue only open cases

Revision ID: 0009
Revises: i0006
Create Date: 2026-12-07 04:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "i0006"
branch_labels = None
depends_on = None

OPEN = sa.text("status NOT IN ('refused', 'returned', 'stopped', 'withdrawn')")
OPEN_STEP = sa.text("ended_at IS NULL")
FEE_PAID = sa.text("action = 'fee_paid'")


def upgrade() -> None:
    # Statistics of a period (services/workflow/adapters/indicator_counts.py): dossiers received and finished in
    # it, steps started and ended in it.
    op.create_index("ix_cases_received_at", "cases", ["received_at"], unique=False)
    op.create_index("ix_cases_finished_at", "cases", ["finished_at"], unique=False)
    op.create_index("ix_case_steps_started_at", "case_steps", ["started_at"], unique=False)
    op.create_index("ix_case_steps_ended_at", "case_steps", ["ended_at"], unique=False)
    # Open cases only (a few per cent of a million): the work queue, and what is in progress or overdue now.
    op.create_index(
        "ix_cases_open_agency_due",
        "cases",
        ["agency_code", "due_at", "dossier_code"],
        unique=False,
        postgresql_where=OPEN,
        sqlite_where=OPEN,
    )
    op.create_index(
        "ix_case_steps_open_agency",
        "case_steps",
        ["agency_code"],
        unique=False,
        postgresql_where=OPEN_STEP,
        sqlite_where=OPEN_STEP,
    )
    # Whether a dossier's fee was paid online (the online-payment share).
    op.create_index(
        "ix_case_actions_fee_paid",
        "case_actions",
        ["dossier_code"],
        unique=False,
        postgresql_where=FEE_PAID,
        sqlite_where=FEE_PAID,
    )


def downgrade() -> None:
    op.drop_index("ix_case_actions_fee_paid", table_name="case_actions")
    op.drop_index("ix_case_steps_open_agency", table_name="case_steps")
    op.drop_index("ix_cases_open_agency_due", table_name="cases")
    op.drop_index("ix_case_steps_ended_at", table_name="case_steps")
    op.drop_index("ix_case_steps_started_at", table_name="case_steps")
    op.drop_index("ix_cases_finished_at", table_name="cases")
    op.drop_index("ix_cases_received_at", table_name="cases")
