"""the work queue's search by applicant: a dossier's terms (name words, ID number, phone), indexed by term

Revision ID: 0005
Revises: 0004
Create Date: 2027-01-05 10:00:00
"""

import sqlalchemy as sa
from alembic import op

from services.intake.domain.search import terms_for

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BATCH = 1000


def upgrade() -> None:
    terms = op.create_table(
        "dossier_search_terms",
        sa.Column("term", sa.String(length=100), nullable=False),
        sa.Column("agency_code", sa.String(length=30), nullable=False),
        sa.Column("dossier_code", sa.String(length=60), nullable=False),
        sa.PrimaryKeyConstraint("term", "agency_code", "dossier_code", name=op.f("pk_dossier_search_terms")),
    )
    _backfill(terms)


def _backfill(terms) -> None:
    """The dossiers filed before this revision get their terms too, a batch at a time."""
    bind = op.get_bind()
    dossiers = sa.table(
        "dossiers",
        sa.column("code", sa.String),
        sa.column("receiving_agency_code", sa.String),
        sa.column("applicant_name", sa.String),
        sa.column("applicant_id_number", sa.String),
        sa.column("contact_phone", sa.String),
    )
    last = ""
    while True:
        rows = bind.execute(
            sa.select(dossiers).where(dossiers.c.code > last).order_by(dossiers.c.code).limit(BATCH)
        ).all()
        if not rows:
            return
        values = [
            {"term": term, "agency_code": r.receiving_agency_code, "dossier_code": r.code}
            for r in rows
            for term in terms_for(r.applicant_name, r.applicant_id_number, r.contact_phone)
        ]
        if values:
            bind.execute(terms.insert(), values)
        last = rows[-1].code


def downgrade() -> None:
    op.drop_table("dossier_search_terms")
