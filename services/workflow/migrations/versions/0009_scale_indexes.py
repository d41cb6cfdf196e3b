"""a province's size: each case names the agency of its first step; statistics and the queue read indexes

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 04:00:00

Statistics count a dossier for the agency of its first step: finding it took a join of every case with its first
step (a million of each). Each case now carries that agency and level (first_agency_code, first_level, filled in
here from case_steps: on PostgreSQL one UPDATE … FROM, about half a minute for a million cases), and the rows of a
period or of the open cases are read from indexes that hold what the counts need.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

OPEN = sa.text("status NOT IN ('refused', 'returned', 'stopped', 'withdrawn')")
OPEN_STEP = sa.text("ended_at IS NULL")
FEE_PAID = sa.text("action = 'fee_paid'")


def upgrade() -> None:
    op.add_column("cases", sa.Column("first_agency_code", sa.String(30), server_default="", nullable=False))
    op.add_column("cases", sa.Column("first_level", sa.String(20), server_default="", nullable=False))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "UPDATE cases SET first_agency_code = s.agency_code, first_level = s.level FROM case_steps s "
            "WHERE s.dossier_code = cases.dossier_code AND s.seq = 1"
        )
    else:
        first = "FROM case_steps s WHERE s.dossier_code = cases.dossier_code AND s.seq = 1"
        op.execute(
            f"UPDATE cases SET first_agency_code = COALESCE((SELECT s.agency_code {first}), ''), "
            f"first_level = COALESCE((SELECT s.level {first}), '')"
        )
    _indexes()


def _indexes() -> None:
    # Statistics of a period (services/workflow/adapters/indicator_counts.py): dossiers received and finished in
    # it, steps started and ended in it; on PostgreSQL what the counts read is in the index itself.
    received = ["procedure_code", "channel", "first_agency_code", "first_level", "dossier_code"]
    op.create_index("ix_cases_received_at", "cases", ["received_at"], postgresql_include=received)
    finished = ["status", "outcome", "first_agency_code", "first_level", "dossier_code"]
    op.create_index("ix_cases_finished_at", "cases", ["finished_at"], postgresql_include=finished)
    op.create_index(
        "ix_case_steps_started_at", "case_steps", ["started_at"], postgresql_include=["agency_code", "level"]
    )
    ended = ["outcome", "agency_code", "level"]
    op.create_index("ix_case_steps_ended_at", "case_steps", ["ended_at"], postgresql_include=ended)
    # Open cases only (a few per cent of a million): the work queue, and what is in progress or overdue now.
    op.create_index(
        "ix_cases_open_agency_due",
        "cases",
        ["agency_code", "due_at", "dossier_code"],
        postgresql_where=OPEN,
        sqlite_where=OPEN,
        postgresql_include=["paused_since", "first_agency_code", "first_level"],
    )
    op.create_index(
        "ix_case_steps_open_agency",
        "case_steps",
        ["agency_code"],
        postgresql_where=OPEN_STEP,
        sqlite_where=OPEN_STEP,
        postgresql_include=["dossier_code", "due_at", "level"],
    )
    # Whether a dossier's fee was paid online (the online-payment share).
    op.create_index(
        "ix_case_actions_fee_paid",
        "case_actions",
        ["dossier_code"],
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
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("first_level")
        batch.drop_column("first_agency_code")
