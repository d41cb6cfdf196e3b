"""Workflow storage: cases (one per dossier) and their append-only action log."""
from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text, UniqueConstraint, func, select

from services.chassis.database import UTCDateTime, new_metadata

metadata = new_metadata()

cases = Table(
    "cases",
    metadata,
    Column("dossier_code", String(60), primary_key=True),
    Column("procedure_code", String(30), nullable=False),
    Column("procedure_version", Integer, nullable=False),
    Column("agency_code", String(30), nullable=False),  # empty: waiting in the coordination queue
    Column("level", String(20), nullable=False),
    Column("receiving_agency_code", String(30), nullable=False),
    Column("applicant_unit_code", String(30), nullable=False),
    Column("applicant_ref", String(64), nullable=False),
    Column("status", String(30), nullable=False, index=True),
    Column("submitted_at", UTCDateTime, nullable=False),
    Column("received_at", UTCDateTime, nullable=True),
    Column("due_at", UTCDateTime, nullable=True),
    Column("due_explanation", Text, nullable=False, default="{}"),
    Column("updated_at", UTCDateTime, nullable=False),
)

case_actions = Table(
    "case_actions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dossier_code", String(60), ForeignKey("cases.dossier_code"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("action", String(40), nullable=False),
    Column("from_status", String(30), nullable=False),
    Column("to_status", String(30), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("unit", String(30), nullable=False),
    Column("reason", Text, nullable=False, default=""),
    Column("at", UTCDateTime, nullable=False),
    UniqueConstraint("dossier_code", "seq", name="uq_case_actions_dossier_seq"),
)


def find_case(session, code: str) -> dict | None:
    row = session.execute(select(cases).where(cases.c.dossier_code == code)).mappings().first()
    return dict(row) if row else None


def history(session, code: str) -> list[dict]:
    rows = session.execute(
        select(case_actions).where(case_actions.c.dossier_code == code).order_by(case_actions.c.seq)
    ).mappings()
    return [dict(r) for r in rows]


def append_action(session, code: str, **values) -> int:
    seq = (session.execute(
        select(func.coalesce(func.max(case_actions.c.seq), 0)).where(case_actions.c.dossier_code == code)
    ).scalar_one()) + 1
    session.execute(case_actions.insert().values(dossier_code=code, seq=seq, **values))
    return seq


def count_by_status(session) -> dict[str, int]:
    rows = session.execute(select(cases.c.status, func.count()).group_by(cases.c.status)).all()
    return {status: n for status, n in rows}
